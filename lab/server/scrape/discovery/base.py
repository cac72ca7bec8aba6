"""What every discovery mechanism produces: target groups, and the protocol it
implements.

A ``TargetGroup`` is upstream's ``targetgroup.Group``: a ``source`` that
identifies it within its discoverer, the targets' own labels (each has at least
``__address__``) and labels common to the group. A discoverer sends *updates*:
each update lists groups that changed; a group replaces the previous group of
the same source, and a group with no targets removes it.

``Discoverer.run()`` is an async iterator of updates that runs until it is
cancelled. Static configs send one update; file_sd sends one per change;
kubernetes (``kubernetes.py``) sends one per object change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

ADDRESS = "__address__"


@dataclass(frozen=True, slots=True)
class TargetGroup:
    source: str
    targets: tuple[Mapping[str, str], ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


class Discoverer(Protocol):
    def run(self) -> AsyncIterator[Sequence[TargetGroup]]:
        """Yield updates until cancelled (see the module docstring)."""
        ...
