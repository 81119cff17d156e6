"""Wrong types in union-typed fields (`str | list`) name the client's field, not pydantic's union tag."""

from __future__ import annotations

import httpx
import pytest

from reliability.openai_shape import assert_openai_error
from reliability.sse_client import MODEL

USER = [{"role": "user", "content": "What was Acme's revenue?"}]


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"model": MODEL, "messages": [{"role": "user", "content": 42}]}, "messages[0].content"),
        ({"model": MODEL, "messages": USER, "stop": 5}, "stop"),
        ({"model": MODEL, "messages": USER, "tool_choice": 5}, "tool_choice"),
    ],
)
def test_union_typed_fields_are_named_without_union_tags(gateway, upstream, payload, param):
    response = httpx.post(gateway.base_url + "/chat/completions", json=payload, timeout=30)
    assert response.status_code == 400, response.text
    error = assert_openai_error(response.json(), type_="invalid_request_error")
    assert error["param"] == param
    assert "function-after" not in error["message"] and "[str]" not in error["message"], error["message"]
