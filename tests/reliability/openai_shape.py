"""Assertions on OpenAI's error shape: {"error": {"message", "type", "param", "code"}}."""

from __future__ import annotations

from typing import Any


def shape_problems(body: Any) -> list[str]:
    """What is wrong with an error body; empty when it is in OpenAI's shape."""
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return [f"not {{'error': {{...}}}}: {str(body)[:200]}"]
    error = body["error"]
    problems = [] if set(error) == {"message", "type", "param", "code"} else [f"keys are {sorted(error)}"]
    if not isinstance(error.get("message"), str) or not error.get("message"):
        problems.append("message is not a non-empty string")
    if not isinstance(error.get("type"), str) or not error.get("type"):
        problems.append("type is not a non-empty string")
    if error.get("param") is not None and not isinstance(error["param"], str):
        problems.append("param is neither null nor a string")
    if error.get("code") is not None and not isinstance(error["code"], str | int):
        problems.append("code is neither null, a string nor an int")
    if "Traceback" in str(error.get("message")) or 'File "' in str(error.get("message")):
        problems.append("message carries a traceback")
    return problems


def assert_openai_error(body: Any, *, type_: str | None = None, code: str | None = None) -> dict[str, Any]:
    """Assert the shape (and optionally type/code); returns the inner error object."""
    problems = shape_problems(body)
    assert not problems, f"{problems}: {body}"
    error: dict[str, Any] = body["error"]
    if type_ is not None:
        assert error["type"] == type_, body
    if code is not None:
        assert error["code"] == code, body
    return error
