"""Settings from flags and environment."""

import pytest
from synthetic_upstream.__main__ import parse_settings
from synthetic_upstream.testing import upstream_command


def test_flags_override_defaults() -> None:
    settings = parse_settings(
        ["--port", "9", "--ttft-ms", "150", "--model", "a", "--model", "b", "--loading-s", "2"]
    )
    assert (settings.port, settings.ttft_ms, settings.models, settings.loading_s) == (
        9,
        150.0,
        ["a", "b"],
        2.0,
    )


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHETIC_UPSTREAM_MODELS", "x, y")
    monkeypatch.setenv("SYNTHETIC_UPSTREAM_ITL_MS", "7")
    settings = parse_settings([])
    assert (settings.models, settings.itl_ms) == (["x", "y"], 7.0)


def test_command_round_trips_through_the_parser() -> None:
    command = upstream_command(1234, models=["m"], ttft_ms=5, enforce_max_model_len=True)
    settings = parse_settings(command[3:])
    assert (settings.port, settings.models, settings.ttft_ms, settings.enforce_max_model_len) == (
        1234,
        ["m"],
        5,
        True,
    )
