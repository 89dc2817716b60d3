"""`ami://user:secret@host:port?switch=ID` URLs, one per switch."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class AmiEndpoint:
    switch_id: str
    host: str
    port: int
    username: str
    secret: str

    def __repr__(self) -> str:  # never print the secret
        return f"AmiEndpoint({self.switch_id!r}, {self.username}@{self.host}:{self.port})"


def parse_ami_url(url: str) -> AmiEndpoint:
    parts = urlsplit(url.strip())
    if parts.scheme != "ami":
        raise ValueError(f"AMI URL must start with ami://, got {url.split('@')[-1]!r}")
    if not parts.hostname or not parts.username:
        raise ValueError("AMI URL needs user, secret and host: ami://user:secret@host:port")
    port = parts.port or 5038
    switch = parse_qs(parts.query).get("switch", [f"{parts.hostname}:{port}"])[0]
    return AmiEndpoint(
        switch_id=switch,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username),
        secret=unquote(parts.password or ""),
    )


def parse_ami_urls(value: str) -> list[AmiEndpoint]:
    endpoints = [parse_ami_url(u) for u in value.split(",") if u.strip()]
    ids = [e.switch_id for e in endpoints]
    if len(set(ids)) != len(ids):
        raise ValueError(f"switch ids must be unique, got {ids}")
    return endpoints
