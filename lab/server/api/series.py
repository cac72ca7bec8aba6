"""``/api/v1/series``, ``/api/v1/labels`` and ``/api/v1/label/<name>/values``.

``match[]`` selectors are parsed as upstream's ``ParseMetricSelector`` does;
start and end default to the whole of time, as upstream.
"""

from __future__ import annotations

from collections.abc import Sequence

from lab.model.labels import Labels, is_legacy_label_name
from lab.model.matcher import Matcher
from lab.server.api import encode
from lab.server.api.errors import BadDataError, invalid_param
from lab.server.api.params import MAX_TIME_MS, MIN_TIME_MS, Form
from lab.server.promql.errors import ParseError
from lab.server.storage.interface import Queryable

_EMPTY_MATCHERS = "vector selector must contain at least one non-empty matcher"
_TRUNCATED = "results truncated due to limit"


def parse_matchers(texts: Sequence[str]) -> list[tuple[Matcher, ...]]:
    from lab.server.promql.parser.parser import parse_series_selector

    out = []
    for text in texts:
        try:
            out.append(parse_series_selector(text).matchers)
        except ParseError as exc:
            if exc.details and exc.details[0].message == _EMPTY_MATCHERS:
                raise invalid_param(
                    "match[]", "match[] must contain at least one non-empty matcher"
                ) from None
            raise invalid_param("match[]", str(exc)) from None
    return out


def _range(form: Form) -> tuple[int, int]:
    return form.time("start", MIN_TIME_MS), form.time("end", MAX_TIME_MS)


def _limit(form: Form) -> int:
    value = form.get("limit")
    if not value:
        return 0
    try:
        limit = int(value)
    except ValueError:
        raise invalid_param("limit", f'cannot parse "{value}" to a valid limit') from None
    if limit < 0:
        raise invalid_param("limit", "limit must be non-negative")
    return limit


def _limited(items: list[str], limit: int, warnings: list[str]) -> list[str]:
    if limit and len(items) > limit:
        warnings.append(_TRUNCATED)
        return items[:limit]
    return items


def series(queryable: Queryable, form: Form) -> bytes:
    texts = form.getall("match[]")
    if not texts:
        raise BadDataError("no match[] parameter provided")
    start, end = _range(form)
    selectors = parse_matchers(texts)
    limit = _limit(form)
    found: set[Labels] = set()
    querier = queryable.querier(start, end)
    try:
        for matchers in selectors:
            found.update(s.labels for s in querier.select(matchers))
    finally:
        querier.close()
    ordered = sorted(found)
    warnings: list[str] = []
    if limit and len(ordered) > limit:
        ordered = ordered[:limit]
        warnings.append(_TRUNCATED)
    return encode.envelope("[" + ",".join(encode.labels_json(s) for s in ordered) + "]", warnings)


def label_names(queryable: Queryable, form: Form) -> bytes:
    start, end = _range(form)
    selectors = parse_matchers(form.getall("match[]"))
    limit = _limit(form)
    querier = queryable.querier(start, end)
    try:
        if not selectors:
            names = set(querier.label_names())
        else:
            names = set()
            for matchers in selectors:
                names.update(querier.label_names(matchers))
    finally:
        querier.close()
    warnings: list[str] = []
    result = _limited(sorted(names), limit, warnings)
    return encode.envelope(encode.to_json(result), warnings)


def label_values(queryable: Queryable, name: str, form: Form) -> bytes:
    if not is_legacy_label_name(name):
        raise BadDataError(f'invalid label name: "{name}"')
    start, end = _range(form)
    selectors = parse_matchers(form.getall("match[]"))
    limit = _limit(form)
    querier = queryable.querier(start, end)
    try:
        if not selectors:
            values = set(querier.label_values(name))
        else:
            values = set()
            for matchers in selectors:
                values.update(querier.label_values(name, matchers))
    finally:
        querier.close()
    warnings: list[str] = []
    result = _limited(sorted(values), limit, warnings)
    return encode.envelope(encode.to_json(result), warnings)
