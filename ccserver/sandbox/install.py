"""Put the repo's Asterisk config (plus the sandbox-only files) into the chroot's /etc/asterisk.

The chroot's /etc/asterisk is made to match exactly what the repo says, file by file, so both
`up` and `reload` know which files changed.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ccserver.prompts.render import RENDER_TOOLS, SOUND_DIR, PromptError, render_prompts
from ccserver.sandbox.host import ensure_host_tools
from ccserver.sandbox.paths import CHROOT_MOH_DIR, CHROOT_SOUNDS_DIR, SandboxError, SandboxPaths

# Files ccserver itself writes into /etc/asterisk at run time (agents created over REST); a sync
# must not delete them.
RUNTIME_FILES = frozenset({"pjsip_agents.conf"})

# [ccserver-fallback] replaces `{did}` with the dialed number: the callee simulator gets the DID.
SANDBOX_EXTENSIONS_CUSTOM = """\
; Written by `ccserver sandbox`: the fallback reaches the callee simulator instead of a real operator,
; the ACD rings simulated agents (or a registered softphone).
[globals](+)
CCSERVER_FALLBACK_DIAL = Local/{did}@sim-callee
CCSERVER_SWITCH_ID = sandbox
CCSERVER_AGENT_DIAL = Local/{ext}@sim-agent
CCSERVER_RING_TIMEOUT = 6
"""

MOH_FILE = "tones.wav"
MOH_SOX_SYNTH = ["synth", "20", "sine", "440", "sine", "554", "vol", "0.2"]


@dataclass(frozen=True)
class ConfigChanges:
    """Paths relative to /etc/asterisk."""

    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)  # differ, but left as they were (need a restart)

    @property
    def any(self) -> bool:
        return bool(self.changed or self.removed)

    def describe(self) -> str:
        if not (self.any or self.held_back):
            return "config unchanged"
        parts = [f"changed {', '.join(self.changed)}" if self.changed else ""]
        parts.append(f"removed {', '.join(self.removed)}" if self.removed else "")
        parts.append(f"not applied {', '.join(self.held_back)}" if self.held_back else "")
        return "; ".join(p for p in parts if p)


def manager_users_conf(secret: str) -> str:
    return f"; Written by `ccserver sandbox`.\n[ccserver](ccserver-rights)\nsecret = {secret}\n"


def _files_under(directory: Path) -> dict[str, Path]:
    return {
        str(path.relative_to(directory)): path
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def repo_config_files(project_dir: Path) -> dict[str, Path]:
    """The repo's Asterisk config laid out as in /etc/asterisk: `asterisk-conf/*` at the top,
    `dialplans/**` under `dialplans/` (where extensions.conf's `#include dialplans/...` expects them)."""
    conf_dir = project_dir / "asterisk-conf"
    if not (conf_dir / "asterisk.conf").is_file():
        raise SandboxError(
            f"{conf_dir}/asterisk.conf missing: point CCSERVER_PROJECT_DIR at the ccserver checkout"
        )
    files = _files_under(conf_dir)
    dialplans = project_dir / "dialplans"
    if dialplans.is_dir():
        files |= {f"dialplans/{rel}": path for rel, path in _files_under(dialplans).items()}
    return files


def desired_config(project_dir: Path, secret: str) -> dict[str, bytes]:
    """Every file the chroot's /etc/asterisk should hold, by path relative to it."""
    files = {rel: path.read_bytes() for rel, path in repo_config_files(project_dir).items()}
    files["manager_users.conf"] = manager_users_conf(secret).encode()
    files["extensions_custom.conf"] = SANDBOX_EXTENSIONS_CUSTOM.encode()
    return files


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, target)


def sync_tree(
    target_dir: Path,
    desired: dict[str, bytes],
    keep: frozenset[str] = frozenset(),
    hold_back: frozenset[str] = frozenset(),
) -> ConfigChanges:
    """Make `target_dir` hold exactly `desired` (plus `keep`); report what differed.

    Files in `hold_back` are left as they are even when they differ, and reported as held back.
    """
    target_dir.mkdir(parents=True, exist_ok=True)
    present = _files_under(target_dir)
    held_back = []
    for rel in sorted(hold_back & desired.keys()):
        existing = present.get(rel)
        if existing is None or existing.read_bytes() != desired[rel]:
            held_back.append(rel)
    desired = {rel: content for rel, content in desired.items() if rel not in held_back}
    keep = keep | frozenset(held_back)
    changed = []
    for rel, content in sorted(desired.items()):
        existing = present.get(rel)
        if existing is None or existing.read_bytes() != content:
            _write_atomically(target_dir / rel, content)
            changed.append(rel)
    removed = sorted(rel for rel in present if rel not in desired and rel not in keep)
    for rel in removed:
        (target_dir / rel).unlink()
    for directory in sorted((p for p in target_dir.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()
    return ConfigChanges(changed=changed, removed=removed, held_back=held_back)


def install_config(
    paths: SandboxPaths, project_dir: Path, secret: str, hold_back: frozenset[str] = frozenset()
) -> ConfigChanges:
    desired = desired_config(project_dir, secret)
    return sync_tree(paths.etc_dir, desired, keep=RUNTIME_FILES, hold_back=hold_back)


def install_moh(paths: SandboxPaths) -> None:
    """Hold music for musiconhold.conf's [default]: two sine tones rendered on the host with sox."""
    if not paths.moh_cache.exists():
        if shutil.which("sox") is None:
            raise SandboxError("sox not found: apt-get install sox (it renders the sandbox's hold music)")
        tmp = paths.moh_cache.with_name("moh-render.wav")
        cmd = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(tmp), *MOH_SOX_SYNTH]
        subprocess.run(cmd, check=True, capture_output=True)
        os.replace(tmp, paths.moh_cache)
    target = paths.in_root(CHROOT_MOH_DIR) / MOH_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or not filecmp.cmp(paths.moh_cache, target, shallow=False):
        shutil.copyfile(paths.moh_cache, target)


def resolve_in_root(root: Path, chroot_path: str, max_links: int = 40) -> Path:
    """Host path of `chroot_path` with its symlinks followed as inside the chroot (absolute ones from `root`).

    Debian's sounds/en is `/etc/alternatives/asterisk-prompt-en` -> `.../sounds/en_US_f_Allison`: followed
    on the host, that absolute link would leave the chroot.
    """
    pending = [part for part in chroot_path.split("/") if part not in ("", ".")]
    resolved: list[str] = []
    links = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            resolved = resolved[:-1]
            continue
        candidate = root.joinpath(*resolved, part)
        if not candidate.is_symlink():
            resolved.append(part)
            continue
        links += 1
        if links > max_links:
            raise SandboxError(f"{chroot_path} in {root}: too many levels of symbolic links")
        target = os.readlink(candidate)
        if target.startswith("/"):
            resolved = []
        pending = [p for p in target.split("/") if p not in ("", ".")] + pending
    return root.joinpath(*resolved)


def _sounds_dir_of(paths: SandboxPaths, language: str) -> Path:
    """Host path of the chroot's sounds/<language>/ccserver, through the package's alternatives link."""
    sounds = paths.in_root(CHROOT_SOUNDS_DIR)
    lang_dir = resolve_in_root(paths.rootfs, f"{CHROOT_SOUNDS_DIR}/{language}")
    if not lang_dir.is_relative_to(sounds) or (lang_dir.exists() and not lang_dir.is_dir()):
        raise SandboxError(f"{CHROOT_SOUNDS_DIR}/{language} in the chroot is a broken link: `sandbox down` + `up`")
    return lang_dir / SOUND_DIR


def install_prompts(paths: SandboxPaths, project_dir: Path) -> list[str]:
    """Render `ivr_prompts/` (only what changed) and make the chroot's sounds/<lang>/ccserver/ match it.

    Returns the prompt files that changed in the chroot (`<lang>/ccserver/<name>.wav`). Asterisk opens
    sound files on every playback: no reload needed.
    """
    ensure_host_tools(RENDER_TOOLS)
    try:
        report = render_prompts(project_dir / "ivr_prompts", paths.prompts_cache)
    except PromptError as exc:
        raise SandboxError(f"rendering IVR prompts: {exc}") from exc
    if report.changed:
        print(f"sandbox: prompts {report.describe()}", file=sys.stderr, flush=True)
    rendered = paths.prompts_cache
    # Per real directory (en and en_US may be one), the files it should hold and the name to report it by.
    desired: dict[Path, tuple[str, dict[str, bytes]]] = {}
    languages = sorted(p.name for p in rendered.iterdir() if p.is_dir() and (p / SOUND_DIR).is_dir())
    for language in languages:
        files = {rel: path.read_bytes() for rel, path in _files_under(rendered / language / SOUND_DIR).items()}
        desired.setdefault(_sounds_dir_of(paths, language), (language, {}))[1].update(files)
    # A language whose prompts were all deleted: empty its directory too.
    sounds = paths.in_root(CHROOT_SOUNDS_DIR)
    for entry in sorted(sounds.iterdir()) if sounds.is_dir() else []:
        installed = resolve_in_root(paths.rootfs, f"{CHROOT_SOUNDS_DIR}/{entry.name}") / SOUND_DIR
        if installed.is_relative_to(sounds) and installed.is_dir():
            desired.setdefault(installed, (entry.name, {}))
    changed = []
    for target, (language, files) in desired.items():
        changes = sync_tree(target, files)
        changed += [f"{language}/{SOUND_DIR}/{rel}" for rel in [*changes.changed, *changes.removed]]
        if not files:
            target.rmdir()
    return changed
