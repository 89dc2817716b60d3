"""/proc inside the chroot: Asterisk and apt's maintainer scripts need it."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _mount_points() -> list[Path]:
    points = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        if len(fields) >= 2:
            points.append(Path(fields[1].replace("\\040", " ")))
    return points


def mounts_under(directory: Path) -> list[Path]:
    """Mount points at or below `directory`, deepest first (the order to unmount them in)."""
    base = directory.resolve()
    inside = [p for p in _mount_points() if p == base or base in p.parents]
    return sorted(inside, key=lambda p: len(p.parts), reverse=True)


def mount_proc(root: Path) -> None:
    target = root.resolve() / "proc"
    if target in _mount_points():
        return
    target.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(target)], check=True, capture_output=True)


def unmount_all(root: Path) -> None:
    """Unmount everything mounted inside `root` (lazily, so a busy /proc does not block `down`)."""
    for point in mounts_under(root):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)
