"""A PostgreSQL 15 cluster of a test's own, so the test may stop and start it under a running ccserver."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import tempfile
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """initdb into a temporary directory, then start/stop with pg_ctl. Runs as the `postgres` OS user
    when we are root (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="ccserver-private-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)

    @property
    def server_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    async def _pg(self, tool: str, *args: str) -> None:
        command = [str(PG_BIN / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        if process.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {output.decode(errors='replace')}")

    async def init(self) -> None:
        await self._pg("initdb", "-A", "trust", "-U", "postgres", "-D", str(self.data), "--no-sync")

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        await self._pg("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w", "start")

    async def stop(self) -> None:
        await self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    async def destroy(self) -> None:
        """Stop it if it runs, and delete everything."""
        if (self.data / "postmaster.pid").exists():
            try:
                await self.stop()
            except RuntimeError:
                pass
        shutil.rmtree(self.base, ignore_errors=True)
