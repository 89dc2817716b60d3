"""What goes into the chroot, and the marker that says a cached chroot was built from this recipe.

Change anything in RECIPE (bump `version` for changes in how the steps run) and the next
`sandbox up` builds a fresh chroot instead of reusing the cached one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MARKER_NAME = ".ccserver-recipe.json"

RECIPE: dict[str, Any] = {
    "version": 1,
    "suite": "sid",
    "variant": "minbase",
    # asterisk-core-sounds-es links sounds/es to the es-MX sounds: SayNumber/SayDigits speak Spanish.
    "packages": [
        "asterisk",
        "asterisk-core-sounds-en-gsm",
        "asterisk-core-sounds-es",
        "asterisk-core-sounds-es-gsm",
        "baresip-core",
    ],
}


def marker_path(rootfs: Path) -> Path:
    return rootfs / MARKER_NAME


def write_marker(rootfs: Path, recipe: dict[str, Any] = RECIPE, mirror: str = "") -> None:
    payload = {"recipe": recipe, "mirror": mirror}
    marker_path(rootfs).write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def read_marker(rootfs: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(marker_path(rootfs).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def marker_matches(rootfs: Path, recipe: dict[str, Any] = RECIPE) -> bool:
    """True when `rootfs` was completely built from `recipe` (the mirror it came from does not matter)."""
    marker = read_marker(rootfs)
    return marker is not None and marker.get("recipe") == recipe
