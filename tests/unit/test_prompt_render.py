"""IVR prompts: text rendered by the real espeak-ng + sox into what Asterisk plays, only when something changed."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import pytest

from ccserver.prompts.cli import prompts_render_command
from ccserver.prompts.render import VOICES, PromptError, Voice, render_prompts
from ccserver.sandbox.install import install_prompts, resolve_in_root
from ccserver.sandbox.paths import SandboxPaths


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def src(tmp_path: Path) -> Path:
    src = tmp_path / "ivr_prompts"
    _write(src / "en" / "welcome.txt", "Welcome to the contact center.\n")
    _write(src / "en" / "choose-language.txt", "For English, press 1.\n")
    _write(src / "es" / "welcome.txt", "Bienvenido al centro de atención.\n")
    return src


def test_every_prompt_becomes_an_8khz_mono_16bit_wav_where_asterisk_looks_for_it(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = render_prompts(src, out)

    assert report.rendered == [
        "en/ccserver/choose-language.wav",
        "en/ccserver/welcome.wav",
        "es/ccserver/welcome.wav",
    ]
    for rel in report.rendered:
        with wave.open(str(out / rel)) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
            assert wav.getnframes() > 8000 * 0.5  # at least half a second of speech


def test_a_second_render_skips_unchanged_prompts_and_redoes_only_the_edited_one(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_prompts(src, out)
    untouched = out / "en/ccserver/choose-language.wav"
    before = untouched.stat().st_mtime_ns

    again = render_prompts(src, out)
    assert again.rendered == [] and not again.changed
    assert len(again.unchanged) == 3

    _write(src / "en" / "welcome.txt", "Welcome back to the contact center.\n")
    os.utime(src / "es" / "welcome.txt")  # touched but the same text: still skipped
    edited = render_prompts(src, out)
    assert edited.rendered == ["en/ccserver/welcome.wav"]
    assert untouched.stat().st_mtime_ns == before


def test_a_changed_voice_or_a_deleted_output_renders_again(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_prompts(src, out)
    (out / "en/ccserver/welcome.wav").unlink()
    assert render_prompts(src, out).rendered == ["en/ccserver/welcome.wav"]

    slower = {**VOICES, "es": Voice("es", speed=120)}
    assert render_prompts(src, out, voices=slower).rendered == ["es/ccserver/welcome.wav"]


def test_a_deleted_prompt_text_removes_its_wav(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_prompts(src, out)
    (src / "es" / "welcome.txt").unlink()

    report = render_prompts(src, out)
    assert report.removed == ["es/ccserver/welcome.wav"]
    assert not (out / "es").exists()


def test_an_unknown_language_is_refused_with_how_to_add_a_voice(src: Path, tmp_path: Path) -> None:
    _write(src / "xx" / "welcome.txt", "Hello.\n")
    with pytest.raises(PromptError, match=r"no voice for language xx .*VOICES.*--voice"):
        render_prompts(src, tmp_path / "out")


def test_a_voice_override_on_the_command_line_adds_a_language(src: Path, tmp_path: Path) -> None:
    _write(src / "fr" / "welcome.txt", "Bienvenue.\n")
    assert prompts_render_command(src, tmp_path / "out") == 2
    assert prompts_render_command(src, tmp_path / "out", ["fr=fr-fr"]) == 0
    assert (tmp_path / "out/fr/ccserver/welcome.wav").is_file()


def test_missing_espeak_ng_or_sox_names_the_debian_packages(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    with pytest.raises(PromptError, match=r"espeak-ng and sox not found: apt-get install espeak-ng sox"):
        render_prompts(src, tmp_path / "out")


def test_an_empty_prompt_is_an_error_naming_the_file(src: Path, tmp_path: Path) -> None:
    _write(src / "en" / "blank.txt", "  \n")
    with pytest.raises(PromptError, match=r"en/blank\.txt is empty"):
        render_prompts(src, tmp_path / "out")
    # The other prompts were still rendered.
    assert (tmp_path / "out/en/ccserver/welcome.wav").is_file()


def _fake_chroot(root: Path) -> None:
    """The sounds layout of Debian's asterisk-core-sounds-en: sounds/en -> /etc/alternatives/... (absolute)."""
    sounds = root / "usr/share/asterisk/sounds"
    (sounds / "en_US_f_Allison").mkdir(parents=True)
    (root / "etc/alternatives").mkdir(parents=True)
    (root / "etc/alternatives/asterisk-prompt-en").symlink_to("/usr/share/asterisk/sounds/en_US_f_Allison")
    (sounds / "en").symlink_to("/etc/alternatives/asterisk-prompt-en")


def test_chroot_symlinks_are_followed_inside_the_chroot(tmp_path: Path) -> None:
    _fake_chroot(tmp_path)
    assert resolve_in_root(tmp_path, "/usr/share/asterisk/sounds/en/ccserver") == (
        tmp_path / "usr/share/asterisk/sounds/en_US_f_Allison/ccserver"
    )


def test_the_sandbox_installs_prompts_in_each_languages_sounds_dir_and_removes_deleted_ones(
    src: Path, tmp_path: Path
) -> None:
    paths = SandboxPaths(tmp_path / "cache")
    _fake_chroot(paths.rootfs)
    project = src.parent
    sounds = paths.rootfs / "usr/share/asterisk/sounds"

    changed = install_prompts(paths, project)
    assert changed == [
        "en/ccserver/choose-language.wav",
        "en/ccserver/welcome.wav",
        "es/ccserver/welcome.wav",
    ]
    assert (sounds / "en_US_f_Allison/ccserver/welcome.wav").is_file()  # through the alternatives link
    assert (sounds / "es/ccserver/welcome.wav").is_file()  # no Spanish sounds package here: a plain dir
    assert install_prompts(paths, project) == []

    (src / "es" / "welcome.txt").unlink()
    assert install_prompts(paths, project) == ["es/ccserver/welcome.wav"]
    assert not (sounds / "es/ccserver").exists()
