"""IVR prompts on the real switch: installed at sounds/<lang>/ccserver/, played in the caller's language,
numbers said in Spanish to a Spanish caller, and pushed by `sandbox reload`.

A scripted caller (Local channel into [sim-caller]) runs AGI against a tiny FastAGI server here, which
sets the channel's language and asks Asterisk to play: `STREAM FILE` answers `result=-1` when Asterisk
finds no such sound for that language, and `endpos` tells how many samples it played.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
import uuid
import wave
from pathlib import Path
from types import TracebackType

import pytest

from ccserver.prompts.render import find_prompts
from ccserver.sandbox import SandboxInfo, reload_switch
from ccserver.sandbox.ami import AmiClient
from ccserver.sandbox.install import resolve_in_root
from ccserver.sandbox.paths import CHROOT_SOUNDS_DIR, sandbox_paths

pytestmark = pytest.mark.sandbox

PROJECT = Path(__file__).resolve().parents[2]
_ENDPOS = re.compile(r"^200 result=(-?\d+) endpos=(\d+)")


class AgiScript:
    """A FastAGI server for one call: sends `commands` in order, keeps each reply and how long it took."""

    def __init__(self, commands: list[str]) -> None:
        self.commands = commands
        self.replies: list[str] = []
        self.seconds: list[float] = []
        self.done = asyncio.Event()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"agi://127.0.0.1:{port}/prompt-check"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (await reader.readline()).strip():  # agi_* environment, up to a blank line
                pass
            for command in self.commands:
                began = time.monotonic()
                writer.write(f"{command}\n".encode())
                await writer.drain()
                self.replies.append((await reader.readline()).decode().strip())
                self.seconds.append(time.monotonic() - began)
        finally:
            writer.close()
            self.done.set()

    async def __aenter__(self) -> AgiScript:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


async def run_on_a_call(sandbox: SandboxInfo, language: str, commands: list[str]) -> AgiScript:
    """Place a call whose channel has CHANNEL(language)=`language` and run `commands` on it over AGI."""
    script = AgiScript([f"SET VARIABLE CHANNEL(language) {language}", *commands])
    login = sandbox.ami
    async with script, await AmiClient.login(login.host, login.port, login.username, login.secret) as ami:
        reply = await ami.action(
            "Originate", Channel="Local/30@sim-caller", Application="AGI", Data=script.url, Async="true"
        )
        assert reply.get("Response") == "Success", reply
        async with asyncio.timeout(30):
            await script.done.wait()
    assert script.replies[0] == "200 result=1", script.replies
    del script.replies[0], script.seconds[0]
    return script


def _played(reply: str) -> int:
    """Samples Asterisk played for a STREAM FILE reply; -1 when it found no such file."""
    match = _ENDPOS.match(reply)
    assert match, reply
    return int(match.group(2)) if match.group(1) == "0" else -1


def _in_chroot(chroot_path: str) -> Path:
    paths = sandbox_paths()
    return resolve_in_root(paths.rootfs, chroot_path)


def _frames(path: Path) -> int:
    with wave.open(str(path)) as wav:
        return wav.getnframes()


def test_every_prompt_in_the_repo_is_in_its_languages_sounds_dir_as_rendered(sandbox: SandboxInfo) -> None:
    prompts = find_prompts(PROJECT / "ivr_prompts")
    assert {"en", "es"} <= {p.language for p in prompts}
    rendered = sandbox_paths().prompts_cache
    for prompt in prompts:
        installed = _in_chroot(f"{CHROOT_SOUNDS_DIR}/{prompt.output}")
        assert installed.read_bytes() == (rendered / prompt.output).read_bytes(), prompt.output


async def test_asterisk_plays_each_caller_the_prompt_in_their_language(sandbox: SandboxInfo) -> None:
    by_language: dict[str, set[str]] = {}
    for prompt in find_prompts(PROJECT / "ivr_prompts"):
        by_language.setdefault(prompt.language, set()).add(prompt.name)
    name = sorted(by_language["en"] & by_language["es"])[0]

    for language in ("es", "en"):
        script = await run_on_a_call(
            sandbox, language, [f'STREAM FILE ccserver/{name} ""', 'STREAM FILE ccserver/no-such-prompt ""']
        )
        wav = sandbox_paths().prompts_cache / language / "ccserver" / f"{name}.wav"
        played, missing = (_played(reply) for reply in script.replies)
        assert abs(played - _frames(wav)) <= 160, (language, script.replies)  # all of it, this language's file
        assert missing == -1


async def test_numbers_are_said_in_spanish_to_a_spanish_caller(sandbox: SandboxInfo) -> None:
    # Asterisk's Spanish SayNumber plays digits/40, digits/and, digits/2 ("cuarenta y dos") from the
    # language's own directory first: asterisk-core-sounds-es puts them there.
    for digit in ("40", "and", "2"):
        assert _in_chroot(f"{CHROOT_SOUNDS_DIR}/es/digits/{digit}.gsm").is_file(), digit

    script = await run_on_a_call(sandbox, "es", ['SAY NUMBER 42 ""', 'SAY DIGITS 305 ""', 'STREAM FILE digits/40 ""'])
    assert script.replies[:2] == ["200 result=0", "200 result=0"]
    assert all(seconds > 0.5 for seconds in script.seconds[:2]), script.seconds  # something was spoken
    # The digit files Asterisk picks are the Spanish ones (GSM: 33 bytes per 160 samples), not English.
    spanish_40 = _in_chroot(f"{CHROOT_SOUNDS_DIR}/es/digits/40.gsm").stat().st_size // 33 * 160
    assert _played(script.replies[2]) == spanish_40


async def test_reload_installs_a_new_prompt_and_removes_a_deleted_one_without_a_restart(
    sandbox: SandboxInfo, tmp_path: Path
) -> None:
    for name in ("asterisk-conf", "dialplans", "ivr_prompts"):
        shutil.copytree(PROJECT / name, tmp_path / name)
    name = f"zz-reload-{uuid.uuid4().hex[:8]}"
    (tmp_path / "ivr_prompts" / "es" / f"{name}.txt").write_text("Esta es una prueba de recarga.\n")
    try:
        report = await reload_switch(tmp_path)
        assert f"es/ccserver/{name}.wav" in report.prompts
        script = await run_on_a_call(sandbox, "es", [f'STREAM FILE ccserver/{name} ""'])
        assert _played(script.replies[0]) > 8000, script.replies
    finally:
        report = await reload_switch(PROJECT)
    assert f"es/ccserver/{name}.wav" in report.prompts
    script = await run_on_a_call(sandbox, "es", [f'STREAM FILE ccserver/{name} ""'])
    assert _played(script.replies[0]) == -1
