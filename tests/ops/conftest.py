from __future__ import annotations

import os

import pytest

from ccserver.sandbox import SandboxInfo, ensure_sandbox_up


@pytest.fixture(scope="session")
def sandbox() -> SandboxInfo:
    """The real Asterisk sandbox, provisioned on first use (about 40 s) and reused after (under a second)."""
    if os.geteuid() != 0:
        pytest.skip("the Asterisk sandbox needs root (chroot, mount)")
    return ensure_sandbox_up()
