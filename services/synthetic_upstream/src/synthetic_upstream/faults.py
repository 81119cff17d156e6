"""Injected faults, settable at start and at run time, consumed request by request."""

from dataclasses import asdict, dataclass, fields

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True, slots=True)
class InjectedError:
    """An error response the upstream answers with instead of generating."""

    status: int
    message: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """What the faults decided for one request."""

    error: InjectedError | None = None
    drop_after_tokens: int | None = None
    extra_first_token_delay_s: float = 0.0


class FaultUpdate(BaseModel):
    """Body of ``POST /control/faults``; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    fail_next: int | None = Field(default=None, ge=0, description="fail this many next requests")
    fail_status: int | None = Field(default=None, ge=400, le=599)
    retry_after: float | None = Field(default=None, ge=0, description="Retry-After seconds; 0 clears it")
    fail_message: str | None = None
    drop_after_tokens: int | None = Field(default=None, ge=0, description="close the stream after N tokens")
    drop_count: int | None = Field(default=None, ge=0, description="requests the drop applies to")
    first_token_delay_s: float | None = Field(default=None, ge=0)
    delay_count: int | None = Field(default=None, ge=0, description="requests the delay applies to")
    loading: bool | None = None
    clear: list[str] = Field(default_factory=list, description="field names to reset to their defaults")


@dataclass(slots=True)
class Faults:
    """Mutable fault plan of one upstream; counts of ``None`` mean every request."""

    fail_next: int = 0
    fail_status: int = 503
    retry_after: float | None = None
    fail_message: str = "injected upstream failure"
    drop_after_tokens: int | None = None
    drop_count: int | None = None
    first_token_delay_s: float = 0.0
    delay_count: int | None = None
    loading: bool = False

    def apply(self, update: FaultUpdate) -> None:
        """Merge a control update into the plan."""
        defaults = Faults()
        for name in update.clear:
            if hasattr(defaults, name):
                setattr(self, name, getattr(defaults, name))
        for name, value in update.model_dump(exclude_unset=True, exclude={"clear"}).items():
            if name == "retry_after" and value == 0:
                value = None
            setattr(self, name, value)

    def reset(self) -> None:
        """Clear every fault."""
        defaults = Faults()
        for item in fields(self):
            setattr(self, item.name, getattr(defaults, item.name))

    def snapshot(self) -> dict[str, object]:
        """Current plan as JSON-able data."""
        return asdict(self)

    def plan_request(self) -> RequestPlan:
        """Decide and consume the faults for one incoming request."""
        if self.loading:
            return RequestPlan(error=InjectedError(503, "model is loading", self.retry_after))
        if self.fail_next > 0:
            self.fail_next -= 1
            return RequestPlan(error=InjectedError(self.fail_status, self.fail_message, self.retry_after))
        drop = self.drop_after_tokens
        if drop is not None and self.drop_count is not None:
            if self.drop_count > 0:
                self.drop_count -= 1
            else:
                drop = None
        delay = self.first_token_delay_s
        if delay and self.delay_count is not None:
            if self.delay_count > 0:
                self.delay_count -= 1
            else:
                delay = 0.0
        return RequestPlan(drop_after_tokens=drop, extra_first_token_delay_s=delay)
