"""Runtime settings, read once in `main` and passed down explicitly."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ccserver.asterisk.ami_url import AmiEndpoint, parse_ami_urls


def _host_port(value: str, default_port: int) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        return value, default_port
    try:
        return host, int(port)
    except ValueError as exc:
        raise ValueError(f"expected host:port, got {value!r}") from exc


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CCSERVER_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/ccserver"
    ami_url: str = ""
    agi_bind: str = "127.0.0.1:4573"
    http_bind: str = "127.0.0.1:8080"
    outbound_dial: str = "PJSIP/{number}@carrier"
    default_region: str = Field("US", description="ISO country used to read national-format numbers")
    spool_dir: Path = Path("/var/spool/ccserver")
    spool_max_bytes: int = Field(2 * 1024**3, gt=0, description="disk the journal may spill to")
    # Most rows in one journal transaction; batches are that big only while a backlog drains.
    journal_batch_size: int = 10_000
    journal_flush_interval: float = 0.05
    journal_memory_limit: int = 50_000
    ivr_dir: Path = Field(Path("dialplans/ivr"), description="the IVR flow files (*.yaml), reloaded on change")
    ivr_prompts_dir: Path = Field(Path("ivr_prompts"), description="prompt texts: a flow may only use prompts here")
    ivr_reload_interval: float = Field(2.0, gt=0, description="seconds between checks for edited flow files")
    # On the Asterisk host: where RECORD FILE puts callers' messages. It must exist there.
    ivr_messages_dir: str = "/var/spool/asterisk/monitor"
    # Where ccserver writes pjsip_agents.conf (the agents' PJSIP endpoints), included by pjsip.conf.
    # The sandbox's is <CCSERVER_SANDBOX_DIR>/rootfs/etc/asterisk.
    asterisk_conf_dir: Path = Field(Path("/etc/asterisk"), description="Asterisk's configuration directory")
    # A switch whose AMI link stays down this long is taken for dead: its waiting callers are called back
    # (through another switch if need be), each at their place.
    acd_switch_lost_s: float = Field(30.0, gt=0, description="seconds without AMI before a switch counts as lost")
    ami_action_timeout: float = 10.0
    ami_ping_interval: float = 5.0
    environment: str = "development"

    @field_validator("ami_url")
    @classmethod
    def _valid_ami_urls(cls, value: str) -> str:
        parse_ami_urls(value)
        return value

    @field_validator("agi_bind", "http_bind")
    @classmethod
    def _valid_bind(cls, value: str) -> str:
        _host_port(value, 0)
        return value

    @property
    def ami_endpoints(self) -> list[AmiEndpoint]:
        return parse_ami_urls(self.ami_url)

    @property
    def http_host_port(self) -> tuple[str, int]:
        return _host_port(self.http_bind, 8080)

    @property
    def agi_host_port(self) -> tuple[str, int]:
        return _host_port(self.agi_bind, 4573)

    @property
    def asyncpg_dsn(self) -> str:
        """The same database URL in the form asyncpg itself accepts."""
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
