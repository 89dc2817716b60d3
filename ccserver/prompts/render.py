"""Render IVR prompts from text: `<src>/<lang>/<name>.txt` -> `<out>/<lang>/ccserver/<name>.wav`.

espeak-ng speaks the text in the language's voice (VOICES), sox turns it into what Asterisk plays
natively: 8 kHz, mono, 16-bit PCM WAV. The output tree is laid out like Asterisk's sounds directory,
so `Playback(ccserver/<name>)` on a channel whose language is `<lang>` finds it.

Incremental: `<out>/.manifest.json` keeps, per output, a hash of the text and of the recipe (voice,
tool arguments, tool versions); a prompt is rendered again only when that hash changes or its output
is gone. Outputs whose text was deleted are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

SOUND_DIR = "ccserver"  # Playback(ccserver/<name>): sounds/<lang>/ccserver/<name>.wav on the switch
MANIFEST_NAME = ".manifest.json"
SAMPLE_RATE = 8000
WORKERS = 2  # renders at once: each is one espeak-ng then one sox process
RECIPE_VERSION = 1  # bump when render_one changes in a way the arguments below do not show

# Resample for the phone network and bring every prompt to the same loudness (-3 dBFS peak).
SOX_OUTPUT = ["-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]
SOX_EFFECTS = ["gain", "-n", "-3"]

# Command -> Debian package that provides it.
RENDER_TOOLS = {"espeak-ng": "espeak-ng", "sox": "sox"}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*$")


class PromptError(RuntimeError):
    """A problem the operator must fix; the message says what to do."""


@dataclass(frozen=True)
class Voice:
    espeak: str  # espeak-ng voice (`espeak-ng --voices` lists them)
    speed: int = 160  # words per minute; espeak-ng's 175 is a little fast on a phone line


# Language directory under ivr_prompts/ (also the channel's CHANNEL(language)) -> voice.
VOICES: Mapping[str, Voice] = {
    "en": Voice("en-us"),
    "es": Voice("es-419"),  # Latin American, like the es_MX number sounds the switch says numbers with
}


@dataclass(frozen=True)
class Prompt:
    language: str
    name: str
    source: Path

    @property
    def output(self) -> str:
        """Path of the WAV relative to the output dir (and to Asterisk's sounds dir)."""
        return f"{self.language}/{SOUND_DIR}/{self.name}.wav"


@dataclass(frozen=True)
class RenderReport:
    """Outputs by path relative to the output dir."""

    rendered: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.rendered or self.removed)

    def describe(self) -> str:
        return f"{len(self.rendered)} rendered, {len(self.unchanged)} unchanged, {len(self.removed)} removed"


def find_prompts(src: Path) -> list[Prompt]:
    """Every `<src>/<lang>/<name>.txt`, sorted; a missing `src` has none."""
    if not src.exists():
        return []
    if not src.is_dir():
        raise PromptError(f"{src} is not a directory")
    prompts = []
    for lang_dir in sorted(p for p in src.iterdir() if p.is_dir()):
        if not _LANGUAGE.match(lang_dir.name):
            raise PromptError(f"{lang_dir}: not a language code (en, es, pt_BR, ...)")
        for text in sorted(lang_dir.glob("*.txt")):
            if not _NAME.match(text.stem):
                raise PromptError(f"{text}: prompt names are letters, digits, '-' and '_'")
            prompts.append(Prompt(lang_dir.name, text.stem, text))
    return prompts


def require_voices(prompts: list[Prompt], voices: Mapping[str, Voice]) -> None:
    unknown = sorted({p.language for p in prompts} - voices.keys())
    if unknown:
        dirs = ", ".join(str(next(p.source.parent for p in prompts if p.language == lang)) for lang in unknown)
        raise PromptError(
            f"no voice for language {', '.join(unknown)} ({dirs}): add it to VOICES in ccserver/prompts/render.py "
            f"or pass --voice LANG=ESPEAK_VOICE (known: {', '.join(sorted(voices))})"
        )


def require_tools() -> dict[str, str]:
    """Path of each command the renderer runs; PromptError naming the Debian packages when one is missing."""
    found = {command: shutil.which(command) for command in RENDER_TOOLS}
    missing = [command for command, path in found.items() if path is None]
    if missing:
        packages = " ".join(sorted({RENDER_TOOLS[command] for command in missing}))
        raise PromptError(
            f"{' and '.join(missing)} not found: apt-get install {packages} (they render the IVR prompts)"
        )
    return {command: path for command, path in found.items() if path is not None}


def _tool_versions(tools: Mapping[str, str]) -> dict[str, str]:
    versions = {}
    for command, path in tools.items():
        result = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
        # espeak-ng prints its data directory too; only the version line matters.
        versions[command] = (result.stdout or result.stderr).strip().split(" Data at:")[0]
    return versions


def recipe_hash(prompt: Prompt, voice: Voice, versions: Mapping[str, str]) -> str:
    recipe = {
        "version": RECIPE_VERSION,
        "text": hashlib.sha256(prompt.source.read_bytes()).hexdigest(),
        "voice": [voice.espeak, voice.speed],
        "sox": [*SOX_OUTPUT, *SOX_EFFECTS],
        "tools": dict(versions),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def _run(cmd: list[str], prompt: Prompt) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    # espeak-ng reports an unknown voice on stderr but may still exit 0.
    if result.returncode != 0 or "Error:" in result.stderr:
        raise PromptError(f"{prompt.source}: {Path(cmd[0]).name} failed: {result.stderr.strip()[-500:]}")


def render_one(prompt: Prompt, voice: Voice, tools: Mapping[str, str], out: Path) -> None:
    """espeak-ng, then sox, into a temporary file renamed over the output (never a half-written WAV)."""
    try:
        text = prompt.source.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PromptError(f"{prompt.source} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not text.strip():
        raise PromptError(f"{prompt.source} is empty")
    target = out / prompt.output
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".render-") as tmp:
        raw, wav = Path(tmp) / "espeak.wav", Path(tmp) / "out.wav"
        speak = [tools["espeak-ng"], "-v", voice.espeak, "-s", str(voice.speed), "-b", "1", "-f", str(prompt.source)]
        _run([*speak, "-w", str(raw)], prompt)
        _run([tools["sox"], str(raw), *SOX_OUTPUT, str(wav), *SOX_EFFECTS], prompt)
        os.replace(wav, target)


def _read_manifest(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_manifest(out: Path, manifest: Mapping[str, str]) -> None:
    tmp = out / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    os.replace(tmp, out / MANIFEST_NAME)


def _remove_stale(out: Path, stale: list[str]) -> None:
    for rel in stale:
        target = out / rel
        target.unlink(missing_ok=True)
        for parent in target.parents:
            if parent == out or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()


def render_prompts(
    src: Path, out: Path, *, voices: Mapping[str, Voice] = VOICES, workers: int = WORKERS
) -> RenderReport:
    """Bring `out` up to date with the text prompts under `src`; see the module docstring."""
    prompts = find_prompts(src)
    require_voices(prompts, voices)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(out)
    wanted = {p.output: p for p in prompts}
    stale = sorted(rel for rel in manifest if rel not in wanted)
    _remove_stale(out, stale)
    new_manifest = {rel: digest for rel, digest in manifest.items() if rel in wanted}

    todo: dict[str, str] = {}
    unchanged: list[str] = []
    tools: dict[str, str] = {}
    if prompts:
        tools = require_tools()
        versions = _tool_versions(tools)
        for rel, prompt in wanted.items():
            digest = recipe_hash(prompt, voices[prompt.language], versions)
            if manifest.get(rel) == digest and (out / rel).is_file():
                unchanged.append(rel)
            else:
                todo[rel] = digest

    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="prompt-render") as pool:
        futures = {
            rel: pool.submit(render_one, wanted[rel], voices[wanted[rel].language], tools, out) for rel in todo
        }
        for rel, future in futures.items():
            try:
                future.result()
            except (PromptError, OSError) as exc:
                errors.append(str(exc))
                new_manifest.pop(rel, None)
            else:
                new_manifest[rel] = todo[rel]
    _write_manifest(out, new_manifest)
    if errors:
        raise PromptError("; ".join(errors))
    rendered = sorted(rel for rel in todo if rel in new_manifest)
    return RenderReport(rendered=rendered, unchanged=sorted(unchanged), removed=stale)
