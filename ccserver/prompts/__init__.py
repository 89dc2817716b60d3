"""IVR prompts: text in ivr_prompts/<lang>/<name>.txt, rendered to 8 kHz WAV for Asterisk (`render.py`)."""

from ccserver.prompts.render import VOICES, PromptError, RenderReport, Voice, render_prompts

__all__ = ["VOICES", "PromptError", "RenderReport", "Voice", "render_prompts"]
