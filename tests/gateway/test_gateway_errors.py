"""The one error factory."""

from gateway.errors import GatewayError, from_upstream_body, from_validation_errors, loc_to_param


def test_loc_to_param():
    assert loc_to_param(("body", "messages", 0, "role")) == "messages[0].role"
    assert loc_to_param(("body",)) is None


def test_validation_errors_name_the_field_without_leaking_input():
    error = from_validation_errors(
        [
            {
                "type": "missing",
                "loc": ("body", "messages"),
                "msg": "Field required",
                "input": {"secret": "x"},
            },
        ]
    )
    assert error.status == 400
    assert error.param == "messages"
    assert error.body() == {
        "error": {
            "message": "messages: Field required",
            "type": "invalid_request_error",
            "param": "messages",
            "code": None,
        }
    }


def test_json_decode_error():
    error = from_validation_errors([{"type": "json_invalid", "loc": ("body", 3), "msg": "JSON decode error"}])
    assert error.code == "invalid_json"


def test_vllm_error_bodies_are_rewritten():
    new_style = from_upstream_body(
        400, {"error": {"message": "bad n", "type": "BadRequestError", "param": "n", "code": 400}}
    )
    assert (new_style.status, new_style.message, new_style.type, new_style.param) == (
        400,
        "bad n",
        "invalid_request_error",
        "n",
    )
    old_style = from_upstream_body(400, {"object": "error", "message": "too long", "type": "BadRequestError"})
    assert old_style.message == "too long"
    assert from_upstream_body(500, "boom").status == 502
    assert from_upstream_body(503, None).status == 503
    assert from_upstream_body(404, {"message": "no model"}).code == "model_not_found"


def test_default_types_and_codes():
    assert GatewayError(429, "slow down").body()["error"]["code"] == "rate_limit_exceeded"
    assert GatewayError(504, "late").type == "timeout_error"
