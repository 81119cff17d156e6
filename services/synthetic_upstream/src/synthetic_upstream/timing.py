"""Generation timing, changeable at run time through ``POST /control/timing``."""

from dataclasses import asdict, dataclass

from pydantic import BaseModel, ConfigDict, Field


class TimingUpdate(BaseModel):
    """Body of ``POST /control/timing``; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    ttft_ms: float | None = Field(default=None, ge=0)
    itl_ms: float | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=1)


@dataclass(slots=True)
class Timing:
    """Time to first token, inter-token latency and default output length."""

    ttft_ms: float
    itl_ms: float
    output_tokens: int

    def apply(self, update: TimingUpdate) -> None:
        """Merge a control update."""
        for name, value in update.model_dump(exclude_unset=True, exclude_none=True).items():
            setattr(self, name, value)

    def snapshot(self) -> dict[str, float | int]:
        """Current timing as JSON-able data."""
        return asdict(self)
