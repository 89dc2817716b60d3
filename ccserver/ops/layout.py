"""The project's Asterisk config as it sits in /etc/asterisk, and the way back to the repo's paths."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ccserver.sandbox.install import repo_config_files


@dataclass(frozen=True)
class ConfigLayout:
    project_dir: Path
    files: dict[str, Path]  # path relative to /etc/asterisk -> file in the repo

    def project_path(self, etc_rel: str) -> str:
        """`pjsip.conf` -> `asterisk-conf/pjsip.conf`; `dialplans/x.conf` stays `dialplans/x.conf`."""
        source = self.files.get(etc_rel.lstrip("/"))
        if source is None:
            return etc_rel if etc_rel.startswith("dialplans/") else f"asterisk-conf/{etc_rel}"
        return str(source.relative_to(self.project_dir))

    def text(self, etc_rel: str) -> str:
        source = self.files.get(etc_rel)
        return source.read_text(errors="replace") if source else ""

    def stage(self, target: Path) -> None:
        """Copy the files into `target`, laid out like /etc/asterisk."""
        for rel, source in self.files.items():
            destination = target / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)


def project_layout(project_dir: Path) -> ConfigLayout:
    return ConfigLayout(project_dir=project_dir, files=repo_config_files(project_dir))
