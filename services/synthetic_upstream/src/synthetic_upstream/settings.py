"""Start-up configuration, from CLI flags or ``SYNTHETIC_UPSTREAM_*`` environment variables."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class UpstreamSettings(BaseSettings):
    """Timing, model and start-up faults of one synthetic upstream."""

    model_config = SettingsConfigDict(env_prefix="SYNTHETIC_UPSTREAM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8001, ge=0, le=65535)
    models: Annotated[list[str], NoDecode] = ["synthetic-model"]
    max_model_len: int = Field(default=2048, ge=1)
    enforce_max_model_len: bool = False

    ttft_ms: float = Field(default=200.0, ge=0)
    itl_ms: float = Field(default=20.0, ge=0)
    output_tokens: int = Field(default=64, ge=1, description="tokens emitted when max_tokens is absent")
    max_output_tokens: int = Field(default=4096, ge=1, description="cap on max_tokens")
    recorded_requests: int = Field(default=50, ge=0, description="request bodies kept for /control/stats")

    fail_next: int = Field(default=0, ge=0)
    fail_status: int = Field(default=503, ge=400, le=599)
    fail_retry_after: float | None = None
    drop_after_tokens: int | None = Field(default=None, ge=0)
    first_token_delay_s: float = Field(default=0.0, ge=0)
    loading_s: float = Field(default=0.0, ge=0, description="seconds /health answers 503 after start")

    log_level: str = "warning"

    @field_validator("models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value
