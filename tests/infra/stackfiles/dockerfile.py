"""Dockerfiles read into stages and instructions, and the values tests compare (ARG, ENV, pip install)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    """One instruction, continuation lines joined."""

    keyword: str
    value: str


@dataclass
class Stage:
    """A build stage: its base image, name and instructions after FROM."""

    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        """The values of every `keyword` instruction, in order."""
        return [i.value for i in self.instructions if i.keyword == keyword]

    def one(self, keyword: str) -> str:
        """The value of the stage's only `keyword` instruction."""
        values = self.all(keyword)
        assert len(values) == 1, f"{len(values)} {keyword} instructions in stage {self.name or self.image}"
        return values[0]

    def args(self) -> dict[str, str]:
        """ARG defaults (an ARG without one maps to "")."""
        pairs = (value.partition("=") for value in self.all("ARG"))
        return {name: default for name, _, default in pairs}

    def env(self) -> dict[str, str]:
        """ENV variables (the `KEY=value ...` form)."""
        found: dict[str, str] = {}
        for value in self.all("ENV"):
            for word in shlex.split(value):
                name, sep, setting = word.partition("=")
                assert sep, f"ENV {value!r} is not in the KEY=value form"
                found[name] = setting
        return found

    def exposed_ports(self) -> list[int]:
        """EXPOSE ports (protocol dropped)."""
        return [int(port.split("/")[0]) for value in self.all("EXPOSE") for port in value.split()]

    def exec_form(self, keyword: str) -> list[str]:
        """A JSON-array CMD or ENTRYPOINT."""
        parsed = json.loads(self.one(keyword))
        assert isinstance(parsed, list), f"{keyword} is not in exec form"
        return parsed

    def healthcheck(self) -> tuple[dict[str, str], list[str]]:
        """HEALTHCHECK options (`--interval` -> "15s") and its exec-form command."""
        options, _, command = self.one("HEALTHCHECK").partition(" CMD ")
        flags = dict(option.removeprefix("--").split("=", 1) for option in options.split())
        return flags, json.loads(command)

    def commands(self) -> list[list[str]]:
        """The shell commands of every RUN (split at `&&`), with this stage's ARG defaults substituted."""
        args = self.args()

        def substitute(word: str) -> str:
            return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m[1] or m[2], m[0]), word)

        found = []
        for value in self.all("RUN"):
            lexer = shlex.shlex(value, posix=True, punctuation_chars="&;|")
            lexer.whitespace_split = True
            command: list[str] = []
            for word in [*lexer, "&&"]:
                if word in ("&&", ";"):
                    found.append(command)
                    command = []
                else:
                    command.append(substitute(word))
        return [command for command in found if command]

    def pip_installs(self) -> list[list[str]]:
        """The arguments of every `pip install` in RUN commands."""
        return [c[2:] for c in self.commands() if c[:2] == ["pip", "install"]]


def stages(path: Path) -> list[Stage]:
    """The stages of a Dockerfile (comment lines dropped, continuation lines joined)."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found: list[Stage] = []
    for line in joined.splitlines():
        if not line.strip():
            continue
        keyword, _, value = line.strip().partition(" ")
        keyword, value = keyword.upper(), value.strip()
        if keyword == "FROM":
            image, _, name = value.partition(" AS ")
            found.append(Stage(image.strip(), name.strip() or None))
        else:
            assert found, f"{keyword} before FROM in {path.name}"
            found[-1].instructions.append(Instruction(keyword, value))
    return found


@dataclass(frozen=True)
class PipInstall:
    """A `pip install` argument list, sorted into options, requirements and editable paths."""

    options: dict[str, str | None]
    requirements: list[str]
    editables: list[str]


VALUE_OPTIONS = frozenset({"--extra-index-url", "--index-url", "-i", "--find-links", "-f", "-r", "-c"})


def pip_install(args: list[str]) -> PipInstall:
    """Sort `pip install` arguments into options (value or None), requirements and `-e` paths."""
    options: dict[str, str | None] = {}
    requirements: list[str] = []
    editables: list[str] = []
    words = iter(args)
    for word in words:
        if word in ("-e", "--editable"):
            editables.append(next(words))
        elif word in VALUE_OPTIONS:
            options[word] = next(words)
        elif word.startswith("-"):
            name, sep, value = word.partition("=")
            options[name] = value if sep else None
        else:
            requirements.append(word)
    return PipInstall(options, requirements, editables)
