"""A small TOML writer for the shapes task files use.

Tables, nested tables (``[verifier.env]``), arrays of tables (``[[task.authors]]``), arrays
of scalars and of inline tables (``artifacts = ["/a", { source = "/b" }]``). The standard
library reads TOML (``tomllib``) but cannot write it; this covers what we emit.
"""

from __future__ import annotations

import math
from typing import Any


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        return _inline_table(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value")


def _inline_table(table: dict[str, Any]) -> str:
    items = [f"{_key(k)} = {_scalar(v)}" for k, v in table.items() if v is not None]
    return "{ " + ", ".join(items) + " }" if items else "{}"


_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in value:
        if char in _SHORT:
            out.append(_SHORT[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            raise ValueError("TOML strings cannot hold lone surrogates")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _inline_table(table: dict[str, Any]) -> str:
    items = [f"{_key(k)} = {_value(v)}" for k, v in table.items() if v is not None]
    return "{" + ", ".join(items) + "}"


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return _inline_table(value)
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = [_inline_table(i) if isinstance(i, dict) else _scalar(i) for i in value]
        one_line = "[" + ", ".join(items) + "]"
        if len(one_line) <= 90:
            return one_line
        return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
    return _scalar(value)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dumps(data: dict[str, Any]) -> str:
    """TOML text of ``data``: a table's scalars first, then its sub-tables, then its arrays
    of tables. ``None`` values are left out (TOML has no null)."""
    lines: list[str] = []
    _table(lines, [], data, header=None)
    return "\n".join(lines) + "\n"


def _table(lines: list[str], path: list[str], table: dict[str, Any], header: str | None) -> None:
    if header is not None:
        if lines:
            lines.append("")
        lines.append(header)
    for key, value in table.items():
        if value is None or isinstance(value, dict) or _is_table_array(value):
            continue
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        if isinstance(value, dict):
            sub = [*path, key]
            _table(lines, sub, value, "[" + ".".join(_key(k) for k in sub) + "]")
    for key, value in table.items():
        if _is_table_array(value):
            sub = [*path, key]
            for item in value:
                _table(lines, sub, item, "[[" + ".".join(_key(k) for k in sub) + "]]")


def _key(key: str) -> str:
    if key and all(c.isalnum() or c in "-_" for c in key) and key.isascii():
        return key
    return _string(key)
