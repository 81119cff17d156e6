"""The subset of HCL the Terraform modules' task definitions use, read into Python values.

Literals (strings without interpolation, numbers, booleans, null), lists and objects become Python values;
anything else (a reference, a function call, a template, a conditional, a `for`) stays an `Expr` with its
text, so a test compares what is written without evaluating Terraform.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TypeAlias

OPENERS = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class Expr:
    """An HCL expression kept as written (comments dropped)."""

    text: str


Value: TypeAlias = "str | int | float | bool | list[Value] | dict[str, Value] | Expr | None"


def _string_end(text: str, start: int) -> int:
    """Index after the string literal opening at `start`, skipping escapes and `${...}` interpolations."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        elif text.startswith(("${", "%{"), i):
            i = _group_end(text, i + 1)
        else:
            i += 1
    raise ValueError(f"unterminated string at {text[start : start + 40]!r}")


def _comment_end(text: str, start: int) -> int | None:
    """Index of the newline ending a `#` or `//` comment at `start` (None when there is none)."""
    if text[start] == "#" or text.startswith("//", start):
        end = text.find("\n", start)
        return len(text) if end < 0 else end
    return None


def _group_end(text: str, start: int) -> int:
    """Index after the bracket matching the one at `start`."""
    closers = [OPENERS[text[start]]]
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _string_end(text, i)
            continue
        if (end := _comment_end(text, i)) is not None:
            i = end
            continue
        if char in OPENERS:
            closers.append(OPENERS[char])
        elif char in ")]}":
            if char != closers.pop():
                raise ValueError(f"unbalanced {char!r} in {text[start : start + 60]!r}")
            if not closers:
                return i + 1
        i += 1
    raise ValueError(f"unclosed {text[start]!r} in {text[start : start + 60]!r}")


def _without_comments(text: str) -> str:
    """`text` with every `#` and `//` comment removed (strings kept as they are)."""
    kept, i = [], 0
    while i < len(text):
        if text[i] == '"':
            end = _string_end(text, i)
            kept.append(text[i:end])
            i = end
        elif (end := _comment_end(text, i)) is not None:
            i = end
        else:
            kept.append(text[i])
            i += 1
    return "".join(kept)


def _split(text: str, separators: str) -> list[str]:
    """Top-level parts of `text` between separator characters, comments dropped."""
    parts, current, i = [], [], 0
    while i < len(text):
        char = text[i]
        if (end := _comment_end(text, i)) is not None:
            i = end
            continue
        if char == '"' or char in OPENERS:
            end = _string_end(text, i) if char == '"' else _group_end(text, i)
            current.append(text[i:end])
            i = end
            continue
        if char in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _is_whole(text: str, start_char: str) -> bool:
    if not text.startswith(start_char):
        return False
    end = _string_end(text, 0) if start_char == '"' else _group_end(text, 0)
    return end == len(text)


_ENTRY = re.compile(r'("[^"]+"|[A-Za-z_][\w.$-]*)\s*[=:](?!=)\s*(.*)', re.S)


def parse(text: str) -> Value:
    """One expression as a Python value (an `Expr` unless it is a literal, list or object)."""
    text = _without_comments(text).strip()
    if _is_whole(text, '"'):
        return Expr(text) if re.search(r"[$%]\{", text) else json.loads(text)
    if _is_whole(text, "["):
        inner = text[1:-1].strip()
        return Expr(text) if inner.startswith("for ") else [parse(part) for part in _split(inner, ",")]
    if _is_whole(text, "{"):
        inner = text[1:-1].strip()
        if inner.startswith("for "):
            return Expr(text)
        entries: dict[str, Value] = {}
        for entry in _split(inner, ",\n"):
            match = _ENTRY.fullmatch(entry)
            if match is None:
                raise ValueError(f"not an object entry: {entry!r}")
            key = json.loads(match[1]) if match[1].startswith('"') else match[1]
            entries[key] = parse(match[2])
        return entries
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*", text):
        return float(text)
    literals: dict[str, Value] = {"true": True, "false": False, "null": None}
    return literals[text] if text in literals else Expr(text)


def call_args(expr: Value, function: str) -> list[str]:
    """The argument texts of `function(...)` (fails when `expr` is not that call)."""
    text = expr.text if isinstance(expr, Expr) else ""
    if not (text.startswith(function + "(") and _group_end(text, len(function)) == len(text)):
        raise ValueError(f"not a {function}(...) call: {expr!r}")
    return _split(text[len(function) + 1 : -1], ",")


def conditional(expr: Value) -> tuple[str, Value, Value] | None:
    """`condition ? a : b` as (condition text, a, b); None for any other expression."""
    if not isinstance(expr, Expr):
        return None
    condition = _split(expr.text, "?")
    if len(condition) != 2:
        return None
    branches = _split(condition[1], ":")
    if len(branches) != 2:
        return None
    return condition[0], parse(branches[0]), parse(branches[1])


def attributes(text: str, name: str) -> list[Value]:
    """Every `name = <expression>` in `text` (blocks and objects alike), parsed, in file order."""
    found = []
    for match in re.finditer(rf"(?m)^\s*{re.escape(name)}\s*=(?!=)[ \t]*", text):
        i = match.end()
        while i < len(text) and text[i] != "\n" and _comment_end(text, i) is None:
            char = text[i]
            i = _string_end(text, i) if char == '"' else _group_end(text, i) if char in OPENERS else i + 1
        found.append(parse(text[match.end() : i].strip().rstrip(",")))
    return found


def block(text: str, header: str) -> str:
    """The body of the block whose header is `header`, e.g. `variable "container_port"`."""
    match = re.search(rf"(?m)^{re.escape(header)}\s*\{{", text)
    if match is None:
        raise ValueError(f"no block {header!r}")
    return text[match.end() : _group_end(text, match.end() - 1) - 1]


def render(expr: Value, values: dict[str, str]) -> str:
    """A string literal, or a template string with each `${expression}` replaced by `values[expression]`."""
    if isinstance(expr, str):
        return expr
    text = expr.text if isinstance(expr, Expr) else ""
    if not _is_whole(text, '"'):
        raise ValueError(f"not a string template: {expr!r}")

    def value_of(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise KeyError(f"no value for ${{{match[1]}}} in {text}")
        return json.dumps(values[match[1]])[1:-1]

    return str(json.loads(re.sub(r"\$\{([^}]*)\}", value_of, text)))
