"""Where the sandbox lives: the cache dir outside the repo, the chroot inside it, and the project dir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CACHE_DIR = Path("/var/cache/ccserver/sandbox")

AMI_HOST = "127.0.0.1"
AMI_PORT = 5038
AMI_USER = "ccserver"
DEFAULT_SECRET = "sandbox-secret"

# Paths inside the chroot (as Asterisk sees them).
CHROOT_ETC = "/etc/asterisk"
CHROOT_CONF = "/etc/asterisk/asterisk.conf"
CHROOT_ASTERISK = "/usr/sbin/asterisk"
CHROOT_MOH_DIR = "/var/lib/asterisk/moh"
# astdatadir/sounds: prompts go to <sounds>/<lang>/ccserver/<name>.wav, Playback(ccserver/<name>).
CHROOT_SOUNDS_DIR = "/usr/share/asterisk/sounds"
CHROOT_RUN_DIR = "/var/run/asterisk"


class SandboxError(RuntimeError):
    """A problem the operator must fix; the message says what to do, on one line."""


@dataclass(frozen=True)
class SandboxPaths:
    cache_dir: Path

    @property
    def rootfs(self) -> Path:
        return self.cache_dir / "rootfs"

    @property
    def rootfs_tmp(self) -> Path:
        """Where a provision is built; renamed to `rootfs` only once complete."""
        return self.cache_dir / "rootfs.tmp"

    @property
    def rootfs_old(self) -> Path:
        return self.cache_dir / "rootfs.old"

    @property
    def log_file(self) -> Path:
        return self.cache_dir / "asterisk.log"

    @property
    def pid_file(self) -> Path:
        return self.cache_dir / "asterisk.pid"

    @property
    def moh_cache(self) -> Path:
        return self.cache_dir / "moh-tones.wav"

    @property
    def prompts_cache(self) -> Path:
        """Rendered IVR prompts (`<lang>/ccserver/<name>.wav` + manifest), copied into the chroot."""
        return self.cache_dir / "prompts"

    def in_root(self, chroot_path: str) -> Path:
        """Host path of a path inside the chroot."""
        return self.rootfs / chroot_path.lstrip("/")

    @property
    def etc_dir(self) -> Path:
        """Host path of the chroot's /etc/asterisk (ccserver writes pjsip_agents.conf here)."""
        return self.in_root(CHROOT_ETC)


def sandbox_paths() -> SandboxPaths:
    return SandboxPaths(Path(os.environ.get("CCSERVER_SANDBOX_DIR") or DEFAULT_CACHE_DIR))


def sandbox_secret() -> str:
    return os.environ.get("CCSERVER_SANDBOX_SECRET") or DEFAULT_SECRET


def sandbox_ami_url(secret: str) -> str:
    return f"ami://{AMI_USER}:{secret}@{AMI_HOST}:{AMI_PORT}?switch=sandbox"


def find_project_dir(explicit: Path | str | None = None) -> Path:
    """The repo root: the directory holding `asterisk-conf/`."""
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(Path(explicit))
    elif os.environ.get("CCSERVER_PROJECT_DIR"):
        candidates.append(Path(os.environ["CCSERVER_PROJECT_DIR"]))
    else:
        candidates.append(Path(__file__).resolve().parents[2])
        candidates.append(Path.cwd())
    for candidate in candidates:
        if (candidate / "asterisk-conf").is_dir():
            return candidate.resolve()
    raise SandboxError(
        f"no asterisk-conf/ in {candidates[0]}: run from the ccserver checkout or set CCSERVER_PROJECT_DIR"
    )
