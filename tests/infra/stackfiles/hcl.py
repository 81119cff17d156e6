"""Terraform files read with python-hcl2 into the Python values tests compare.

Why this adapter exists: python-hcl2 serializes a quoted string with its quotes ('"tcp"') and every other
expression as "${...}" text, and leaves a whole function call, conditional or `for` as one such string. Tests
want plain values: literals, lists and objects become Python values; anything else stays an `Expr` holding
python-hcl2's text for it, which `call_args`, `conditional` and `parse` hand back to python-hcl2 to read
further, so a test compares what is written without evaluating Terraform.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, TypeAlias

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule, BodyRule
from hcl2.rules.containers import ObjectElemRule
from hcl2.rules.expressions import ConditionalRule, ExpressionRule, ExprTermRule
from hcl2.rules.functions import FunctionCallRule
from hcl2.utils import SerializationOptions, is_dollar_string, process_escape_sequences, unwrap_dollar_string
from hcl2.walk import find_all

OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=False, preserve_heredocs=False)


@dataclass(frozen=True)
class Expr:
    """An HCL expression as python-hcl2 writes it (use `parse` to compare one with source text)."""

    text: str


Value: TypeAlias = "str | int | float | bool | list[Value] | dict[str, Value] | Expr | None"


def _unquote(text: str) -> str:
    return process_escape_sequences(text[1:-1]) if text.startswith('"') and text.endswith('"') else text


def _value(serialized: Any) -> Value:
    """python-hcl2's serialized form as a `Value`."""
    if isinstance(serialized, list):
        return [_value(item) for item in serialized]
    if isinstance(serialized, dict):
        return {_unquote(key): _value(item) for key, item in serialized.items()}
    if is_dollar_string(serialized):
        return Expr(unwrap_dollar_string(serialized))
    if not isinstance(serialized, str):
        return serialized
    if serialized.startswith('"'):
        return Expr(serialized) if re.search(r"[$%]\{", serialized) else _unquote(serialized)
    return Expr(serialized)  # a bare name such as `bool` comes without the ${...}


def _of(rule: ExpressionRule) -> Value:
    return _value(rule.serialize(OPTIONS))


def _expression(expr: Value | str) -> ExpressionRule:
    """The expression (parentheses kept, other wrappers dropped) an `Expr` or a source text holds."""
    text = expr.text if isinstance(expr, Expr) else expr
    if not isinstance(text, str):
        raise ValueError(f"not an expression: {expr!r}")
    [attribute] = find_all(hcl2.parses(f"value = {text}", discard_comments=True).body, AttributeRule)
    rule = attribute.expression
    while isinstance(rule, ExprTermRule) and not rule.parentheses:
        rule = rule.expression
    return rule


def parse(text: str) -> Value:
    """One expression's source text as a Python value (an `Expr` unless it is a literal, list or object)."""
    return _of(_expression(text))


def call_args(expr: Value, function: str) -> list[Value]:
    """The arguments of `function(...)`, parsed (fails when `expr` is not that call)."""
    rule = _expression(expr)
    if not (
        isinstance(rule, FunctionCallRule) and "::".join(i.serialize() for i in rule.identifiers) == function
    ):
        raise ValueError(f"not a {function}(...) call: {expr!r}")
    return [_of(arg) for arg in rule.arguments.arguments] if rule.arguments else []


def conditional(expr: Value) -> tuple[str, Value, Value] | None:
    """`condition ? a : b` as (condition text, a, b); None for any other expression."""
    if not isinstance(expr, Expr):
        return None
    rule = _expression(expr)
    if not isinstance(rule, ConditionalRule):
        return None
    condition = _of(rule.condition)
    return (
        condition.text if isinstance(condition, Expr) else str(condition),
        _of(rule.if_true),
        _of(rule.if_false),
    )


def attributes(source: str | BodyRule, name: str) -> list[Value]:
    """Every `name = <expression>` in a file's text or a block body (blocks and objects alike), in order."""
    tree = hcl2.parses(source, discard_comments=True) if isinstance(source, str) else source
    found = []
    for rule in find_all(tree, (AttributeRule, ObjectElemRule)):  # type: ignore[arg-type]
        key = rule.identifier.serialize() if isinstance(rule, AttributeRule) else rule.key.serialize(OPTIONS)
        if _unquote(str(key)) == name:
            found.append(_of(rule.expression))
    return found


def block(text: str, header: str) -> BodyRule:
    """The body of the block whose header is `header`, e.g. `variable "container_port"`."""
    for rule in find_all(hcl2.parses(text, discard_comments=True), BlockRule):
        if " ".join(str(label.serialize(OPTIONS)) for label in rule.labels) == header:
            return rule.body
    raise ValueError(f"no block {header!r}")


def render(expr: Value, values: dict[str, str]) -> str:
    """A string literal, or a template string with each `${expression}` replaced by `values[expression]`."""
    if isinstance(expr, str):
        return expr
    text = expr.text if isinstance(expr, Expr) else ""
    if not (len(text) > 1 and text.startswith('"') and text.endswith('"')):
        raise ValueError(f"not a string template: {expr!r}")

    def value_of(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise KeyError(f"no value for ${{{match[1]}}} in {text}")
        return json.dumps(values[match[1]])[1:-1]

    return str(json.loads(re.sub(r"\$\{([^}]*)\}", value_of, text)))
