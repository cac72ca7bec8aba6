"""The incident library: one scenario per module. Nothing registers itself;
``discover()`` lists the modules and collects their concrete Scenario classes."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from lab.scenarios.scenario import Scenario


def discover() -> dict[str, type[Scenario]]:
    """Scenario name -> class, for every module in this package."""
    found: dict[str, type[Scenario]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, Scenario)
                and obj.__module__ == module.__name__
                and not obj.__dict__.get("abstract", False)
            ):
                if obj.name in found:
                    raise ValueError(f"two scenarios named {obj.name!r}")
                found[obj.name] = obj
    return found


def get(name: str) -> type[Scenario]:
    scenarios = discover()
    if name not in scenarios:
        raise KeyError(f"no scenario {name!r} (have: {', '.join(sorted(scenarios))})")
    return scenarios[name]
