"""Tools the Vagrant-lab tests need (vagrant, shellcheck): skipped with the
reason when missing, failing instead under PROMLAB_REQUIRE_REFERENCE=1."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.reference import reference_required

LAB = Path(__file__).resolve().parents[3] / "lab" / "vagrant"


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found on PATH (Debian package: {package})"
        if reference_required():
            pytest.fail(message + "; PROMLAB_REQUIRE_REFERENCE=1 forbids skipping")
        pytest.skip(message)
    return path


def offline_vagrant_env(tmp_path: Path) -> dict[str, str]:
    """An environment in which vagrant neither phones home (checkpoint) nor
    writes into the repository or the user's ~/.vagrant.d."""
    env = dict(os.environ)
    env.update(
        VAGRANT_CHECKPOINT_DISABLE="1",
        VAGRANT_DOTFILE_PATH=str(tmp_path / "dotfile"),
        VAGRANT_HOME=str(tmp_path / "vagrant.d"),
        VAGRANT_NO_COLOR="1",
    )
    return env
