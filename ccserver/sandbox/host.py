"""What the host must offer before a chroot can be built: root, tools, disk space, a Debian mirror."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from ccserver.sandbox.paths import SandboxError

FALLBACK_MIRROR = "http://deb.debian.org/debian"
DEB822_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
LEGACY_SOURCES = Path("/etc/apt/sources.list")

# Measured: the finished chroot is ~650 MB; debootstrap and apt's archives need room on top.
MIN_FREE_BYTES = 1_500_000_000

# command -> Debian package that provides it
HOST_TOOLS = {"debootstrap": "debootstrap", "sox": "sox", "espeak-ng": "espeak-ng"}


def require_root() -> None:
    if os.geteuid() != 0:
        raise SandboxError("the sandbox needs root (chroot, mount): run it with sudo or as root")


def _is_main_archive(uri: str) -> bool:
    # The security archive has no sid suite.
    return not uri.rstrip("/").endswith("-security")


def mirror_from_deb822(text: str) -> str | None:
    """First `URIs:` of a deb822 .sources file (skipping the security archive)."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "uris":
            for uri in value.split():
                if _is_main_archive(uri):
                    return uri.rstrip("/")
    return None


def mirror_from_sources_list(text: str) -> str | None:
    """URI of the first `deb` line of a one-line-style sources.list."""
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):  # options like [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if words and _is_main_archive(words[0]):
            return words[0].rstrip("/")
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def debian_mirror(deb822: Path = DEB822_SOURCES, legacy: Path = LEGACY_SOURCES) -> str:
    """The mirror the host already uses; CCSERVER_SANDBOX_MIRROR overrides it."""
    return (
        os.environ.get("CCSERVER_SANDBOX_MIRROR")
        or mirror_from_deb822(_read(deb822))
        or mirror_from_sources_list(_read(legacy))
        or FALLBACK_MIRROR
    ).rstrip("/")


def require_mirror_reachable(mirror: str, suite: str, timeout: float = 15.0) -> None:
    url = f"{mirror}/dists/{suite}/Release"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            pass
    except (urllib.error.URLError, OSError) as exc:
        raise SandboxError(
            f"Debian mirror unreachable ({url}: {exc}): fix the network or set CCSERVER_SANDBOX_MIRROR"
        ) from exc


def require_free_space(directory: Path, needed: int = MIN_FREE_BYTES) -> None:
    probe = directory
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < needed:
        raise SandboxError(
            f"only {free / 1e9:.1f} GB free at {probe}, the sandbox needs {needed / 1e9:.1f} GB: "
            "free space or set CCSERVER_SANDBOX_DIR to a bigger disk"
        )


def _apt_install(packages: list[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    if subprocess.run(cmd, env=env, capture_output=True).returncode == 0:
        return True
    subprocess.run(["apt-get", "update"], env=env, capture_output=True)
    return subprocess.run(cmd, env=env, capture_output=True).returncode == 0


def ensure_host_tools(tools: dict[str, str] = HOST_TOOLS) -> None:
    """Install the host commands the sandbox uses (debootstrap, sox, espeak-ng) when missing."""
    missing = [pkg for cmd, pkg in tools.items() if shutil.which(cmd) is None]
    if not missing:
        return
    if shutil.which("apt-get") is None or not _apt_install(missing):
        still = [pkg for cmd, pkg in tools.items() if shutil.which(cmd) is None]
        if still:
            raise SandboxError(
                f"cannot install {', '.join(still)} with apt-get: install them by hand "
                f"(apt-get install {' '.join(still)})"
            )
