"""Errors of the Vagrant lab driver; every message is for the user.

* VagrantError(LabError) — root: a ``vagrant`` command failed (exit status shown)
  * VagrantNotFoundError — no ``vagrant`` executable on PATH
  * MachineNameError(ValueError) — a machine name that cannot be a lab VM
"""

from __future__ import annotations

from lab.model.errors import LabError


class VagrantError(LabError):
    """A vagrant command failed."""


class VagrantNotFoundError(VagrantError):
    """``vagrant`` is not installed (or not on PATH)."""


class MachineNameError(VagrantError, ValueError):
    """Not a valid machine name."""
