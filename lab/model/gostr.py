"""Go's string quoting (``strconv.Quote``, ``%q``), for error texts that must
read exactly as upstream's: PromQL parse errors, promtool messages, the HTTP
API, the pushgateway.

Strings decoded with ``surrogateescape`` carry bytes that were not UTF-8 as
lone surrogates; they print as ``\\xNN``, as Go prints invalid bytes.
"""

from __future__ import annotations


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote``: double quotes, escapes for non-printables.

    Lone surrogates (bytes that were not UTF-8) print as ``\\xNN``.
    """
    out = ['"']
    for c in s:
        code = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif c.isprintable() and not 0xD800 <= code < 0xE000:
            out.append(c)
        elif c == "\a":
            out.append("\\a")
        elif c == "\b":
            out.append("\\b")
        elif c == "\f":
            out.append("\\f")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\v":
            out.append("\\v")
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def go_quote_rune(c: str) -> str:
    """Go's ``%q`` for a rune: ``'.'``, ``'\\n'``, ``'\\''``."""
    if c == "'":
        return "'\\''"
    inner = go_quote(c)[1:-1]
    if inner == '\\"':
        inner = '"'
    return f"'{inner}'"
