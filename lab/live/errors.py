"""Errors of the live lab (``lab.live``); every message is for the user.

* LiveError(LabError) — root
  * DegradeError(ValueError) — a ``POST /admin/degrade`` body is not valid
  * ShapeError(ValueError) — a load shape (stages YAML, ramp, spike) is not valid
  * UnsafeTargetError — ``promlab load`` was pointed off loopback without
    ``--allow-remote``
  * StressLimitError(ValueError) — a stressor was asked for more than the host
    can give (cores, memory minus the safety margin) or a nonsense value
"""

from __future__ import annotations

from lab.model.errors import LabError


class LiveError(LabError):
    """Root of the live lab's deliberate errors."""


class DegradeError(LiveError, ValueError):
    """A degrade request is not valid; nothing was changed."""


class ShapeError(LiveError, ValueError):
    """A load shape is not valid."""


class UnsafeTargetError(LiveError):
    """A load target is not on loopback and remote targets were not allowed."""


class StressLimitError(LiveError, ValueError):
    """A stressor request exceeds what the host can safely give."""
