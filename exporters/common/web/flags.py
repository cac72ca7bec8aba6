"""The web flags every exporter declares the same way, as upstream spells them.

``@web_flags(default_listen=":9100")`` under ``@click.command()`` adds
``--web.listen-address`` (repeatable), ``--web.telemetry-path``,
``--web.config.file`` and, unless ``max_requests=None``, ``--web.max-requests``,
and hands the command one ``web: WebFlags`` argument instead of four.
``DURATION`` parses Go durations (``5m``, ``1h30m``, ``250ms``) as kingpin
does, for the ``--*.interval`` style flags.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import click

from lab.model.durations import parse_go_duration_ns
from lab.model.errors import DurationError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class WebFlags:
    """The parsed web flags; ``max_requests`` 0 means unlimited."""

    listen_addresses: tuple[str, ...]
    telemetry_path: str = "/metrics"
    config_file: str | None = None
    max_requests: int = 0


def web_flags(
    *,
    default_listen: str,
    default_telemetry_path: str = "/metrics",
    max_requests: int | None = 40,
) -> Callable[[F], F]:
    """Decorator adding the web flags; the command receives ``web: WebFlags``."""

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            flags = WebFlags(
                tuple(kwargs.pop("web_listen_address")),
                kwargs.pop("web_telemetry_path"),
                kwargs.pop("web_config_file") or None,
                kwargs.pop("web_max_requests", 0),
            )
            return f(*args, web=flags, **kwargs)

        options = [
            click.option(
                "--web.listen-address",
                "web_listen_address",
                multiple=True,
                default=(default_listen,),
                show_default=True,
                help="Address on which to expose metrics and web interface; repeatable. "
                "':PORT' listens on all interfaces.",
            ),
            click.option(
                "--web.telemetry-path",
                "web_telemetry_path",
                default=default_telemetry_path,
                show_default=True,
                help="Path under which to expose metrics.",
            ),
            click.option(
                "--web.config.file",
                "web_config_file",
                default="",
                help="Path to a configuration file that can enable TLS or authentication "
                "(exporter-toolkit format).",
            ),
        ]
        if max_requests is not None:
            options.append(
                click.option(
                    "--web.max-requests",
                    "web_max_requests",
                    type=click.IntRange(min=0),
                    default=max_requests,
                    show_default=True,
                    help="Maximum number of parallel scrape requests. Use 0 to disable.",
                )
            )
        decorated: Callable[..., Any] = wrapper
        for option in reversed(options):
            decorated = option(decorated)
        return decorated  # type: ignore[return-value]

    return decorate


def parse_duration(text: str) -> float:
    """Seconds in a Go/Prometheus duration such as ``5m``, ``1h30m``, ``1.5h``
    or ``0``: ``time.ParseDuration`` plus Prometheus's ``d``/``w``/``y``, no sign."""
    s = text.strip()
    if s == "":
        raise ValueError("empty duration")
    try:
        ns = -1 if s[0] in "+-" else parse_go_duration_ns(s, day_units=True)
    except DurationError:
        ns = -1
    if ns < 0:
        raise ValueError(f"invalid duration {text!r} (expected e.g. 30s, 5m, 1h30m)")
    return ns / 1e9


class DurationType(click.ParamType[float]):
    """A click parameter in Go duration syntax, converted to float seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION: Final = DurationType()
