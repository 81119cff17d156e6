"""Bash scripts read as words: assignments, defaults, arrays, loops and command lines."""

from __future__ import annotations

import re
import shlex
from pathlib import Path


def logical_lines(path: Path) -> list[str]:
    """The script's lines, backslash continuations joined, comment and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", path.read_text())
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def defaults(path: Path, variable: str) -> set[str]:
    """Every default the script gives `variable` (`${VARIABLE:-default}`)."""
    return set(re.findall(rf"\$\{{{variable}:-((?:[^{{}}]|\{{[^{{}}]*\}})*)\}}", path.read_text()))


def default(path: Path, variable: str) -> str:
    """The one default the script gives `variable`."""
    found = defaults(path, variable)
    assert len(found) == 1, f"{variable} has defaults {sorted(found)} in {path.name}"
    return found.pop()


def assignments(path: Path) -> dict[str, str]:
    """`name=value` statements, the value unquoted and resolved where it reads defaults or earlier names."""
    values: dict[str, str] = {}
    for line in logical_lines(path):
        match = re.fullmatch(r"(\w+)=(\S.*)", line)
        if match is None or match[2].startswith("("):
            continue
        try:
            words = shlex.split(match[2])
        except ValueError:  # a quoted string spanning lines: not a plain assignment
            continue
        if len(words) == 1:
            values[match[1]] = resolve(words[0], values)
    return values


def resolve(word: str, values: dict[str, str]) -> str:
    """`word` with `${NAME:-default}` replaced by the default and `$name` by a known value."""
    word = re.sub(r"\$\{\w+:-([^{}$]*)\}", r"\1", word)
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m[1] or m[2], m[0]), word)


def array(path: Path, name: str) -> list[str]:
    """The words of the script's `name=( ... )` array literal."""
    block = re.search(rf"(?ms)^{name}=\((.*?)^\)", path.read_text())
    assert block, f"{name}=( ... ) not found in {path.name}"
    return shlex.split(block[1])


def appended(path: Path, name: str) -> list[list[str]]:
    """The words of every `name+=( ... )` on one line."""
    return [shlex.split(m) for m in re.findall(rf"(?m)^\s*{name}\+=\((.*)\)\s*$", path.read_text())]


def loop_words(path: Path, variable: str) -> list[str]:
    """The words of `for variable in ...; do`."""
    found = [line for line in logical_lines(path) if line.startswith(f"for {variable} in ")]
    assert len(found) == 1, f"{len(found)} `for {variable} in` loops in {path.name}"
    return shlex.split(found[0].removeprefix(f"for {variable} in ").removesuffix("; do"))


def command_lines(path: Path, program: str) -> list[list[str]]:
    """The words of every line that runs `program` (its first word, or a path ending in /program)."""
    found = []
    for line in logical_lines(path):
        first = line.split(maxsplit=1)[0].strip('"')  # other lines may not be shlex-splittable on their own
        if first == program or first.endswith("/" + program):
            found.append(shlex.split(line))
    return found


def exported(path: Path) -> dict[str, str]:
    """Names and (unquoted) values of every `export NAME=value ...`."""
    found: dict[str, str] = {}
    for line in logical_lines(path):
        if line.startswith("export "):
            for word in shlex.split(line)[1:]:
                name, _, value = word.partition("=")
                found[name] = value
    return found
