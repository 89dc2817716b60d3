"""Build the Debian sid chroot with Asterisk 22 once, and reuse it while the recipe is unchanged.

The chroot is built in `rootfs.tmp` and renamed to `rootfs` only when complete, with the recipe
marker inside it: an interrupted build never leaves a `rootfs` that looks usable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ccserver.sandbox.host import (
    debian_mirror,
    ensure_host_tools,
    require_free_space,
    require_mirror_reachable,
    require_root,
)
from ccserver.sandbox.mounts import mount_proc, mounts_under, unmount_all
from ccserver.sandbox.paths import SandboxError, SandboxPaths
from ccserver.sandbox.recipe import RECIPE, marker_matches, write_marker

# The sid Release file on snapshot-style mirrors is often past its Valid-Until date.
APT_OPTS = ["-o", "Acquire::Check-Valid-Until=false", "-o", "Acquire::Retries=3"]

# Keep maintainer scripts from starting daemons (asterisk) inside the chroot while installing.
POLICY_RC_D = "#!/bin/sh\nexit 101\n"


def _say(message: str) -> None:
    print(f"sandbox: {message}", file=sys.stderr, flush=True)


def is_provisioned(paths: SandboxPaths) -> bool:
    return marker_matches(paths.rootfs)


def remove_tree(directory: Path) -> None:
    """rm -rf that refuses to descend into anything still mounted (e.g. the host's /proc)."""
    if not directory.exists():
        return
    unmount_all(directory)
    if mounts_under(directory):
        raise SandboxError(f"{directory} still has mounts inside: unmount them, then retry")
    shutil.rmtree(directory)


def _run_logged(cmd: list[str], log: Path, what: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    if result.returncode != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
        raise SandboxError(f"{what} failed (exit {result.returncode}); see {log}:\n{tail}")


def _debootstrap(target: Path, mirror: str, log: Path) -> None:
    cmd = [
        "debootstrap",
        f"--variant={RECIPE['variant']}",
        "--no-check-gpg",
        RECIPE["suite"],
        str(target),
        mirror,
    ]
    _run_logged(cmd, log, "debootstrap")


def _install_packages(target: Path, log: Path) -> None:
    policy = target / "usr/sbin/policy-rc.d"
    policy.write_text(POLICY_RC_D)
    policy.chmod(0o755)
    mount_proc(target)
    try:
        _run_logged(
            ["chroot", str(target), "apt-get", *APT_OPTS, "update"], log, "apt-get update in the chroot"
        )
        install = ["chroot", str(target), "apt-get", *APT_OPTS, "install", "-y", "--no-install-recommends"]
        _run_logged([*install, *RECIPE["packages"]], log, "apt-get install in the chroot")
        _run_logged(["chroot", str(target), "apt-get", "clean"], log, "apt-get clean in the chroot")
    finally:
        unmount_all(target)
    # The package's sample configs stay for reference; ours are installed on every `up`.
    etc = target / "etc/asterisk"
    if etc.exists():
        etc.rename(target / "etc/asterisk.dist")
    etc.mkdir()


def provision(paths: SandboxPaths) -> None:
    """Build a fresh chroot and swap it in. The caller stops any Asterisk running in the old one."""
    require_root()
    paths.cache_dir.mkdir(parents=True, exist_ok=True)
    require_free_space(paths.cache_dir)
    ensure_host_tools()
    mirror = debian_mirror()
    require_mirror_reachable(mirror, RECIPE["suite"])
    log = paths.cache_dir / "provision.log"
    log.write_text("")
    started = time.monotonic()

    remove_tree(paths.rootfs_tmp)
    _say(f"debootstrap {RECIPE['suite']} from {mirror} (about 30 s; log in {log})")
    _debootstrap(paths.rootfs_tmp, mirror, log)
    _say(f"installing {' '.join(RECIPE['packages'])} in the chroot (about 20 s)")
    _install_packages(paths.rootfs_tmp, log)
    write_marker(paths.rootfs_tmp, RECIPE, mirror)

    remove_tree(paths.rootfs_old)
    if paths.rootfs.exists():
        unmount_all(paths.rootfs)
        paths.rootfs.rename(paths.rootfs_old)
    paths.rootfs_tmp.rename(paths.rootfs)
    remove_tree(paths.rootfs_old)
    _say(f"chroot ready at {paths.rootfs} in {time.monotonic() - started:.0f} s")
