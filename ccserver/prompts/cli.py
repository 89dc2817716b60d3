"""`ccserver prompts render`: exit 0 when the output is up to date, 2 when the operator must fix something."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ccserver.prompts.render import VOICES, PromptError, Voice, render_prompts


def parse_voices(pairs: Sequence[str]) -> dict[str, Voice]:
    """VOICES with `LANG=ESPEAK_VOICE` overrides (`--voice es=es-419`)."""
    voices = dict(VOICES)
    for pair in pairs:
        lang, sep, voice = pair.partition("=")
        if not (sep and lang and voice):
            raise PromptError(f"--voice {pair!r}: expected LANG=ESPEAK_VOICE, e.g. es=es-419")
        voices[lang] = Voice(voice)
    return voices


def prompts_render_command(src: Path, out: Path, voice_overrides: Sequence[str] = ()) -> int:
    try:
        report = render_prompts(src, out, voices=parse_voices(voice_overrides))
    except PromptError as exc:
        print(f"ccserver prompts render: {exc}", file=sys.stderr, flush=True)
        return 2
    for rel in report.rendered:
        print(f"rendered {out / rel}")
    for rel in report.removed:
        print(f"removed {out / rel}")
    print(f"prompts: {report.describe()} in {out}", file=sys.stderr, flush=True)
    return 0
