"""Lazy package attributes (PEP 562): import a submodule on first use.

Packages whose public names pull in heavy dependencies (numpy, aiohttp) keep
``import package`` cheap for processes that never use those names, such as
the node exporter with its 40 MB memory budget::

    __getattr__ = lazy_attributes(__name__, {"SampleBatch": "batch"}, globals())
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    package: str, table: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``name`` from submodule ``table[name]``."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value  # later lookups skip this hook
        return value

    return __getattr__
