"""Scripted replies: the text the next chat completions answer with instead of ``t0 t1 ...``."""

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

# Words, and every punctuation mark on its own, each with the whitespace before it: real tokenizers split
# "$391.0 billion [1]." into several pieces too, so a client sees figures and markers arrive in fragments.
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])")


class ReplyUpdate(BaseModel):
    """Body of ``POST /control/reply``: ``text`` (null clears it) and how many requests it answers."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    count: int | None = Field(default=None, ge=1, description="requests it answers; null = every request")


def reply_tokens(text: str) -> tuple[str, ...]:
    """The streamed pieces of a scripted reply; joined they give back ``text`` without trailing space."""
    return tuple(_PIECE.findall(text))


@dataclass(slots=True)
class Replies:
    """The scripted reply, if any, and how many more requests it answers (None: every one)."""

    text: str | None = None
    count: int | None = None

    def apply(self, update: ReplyUpdate) -> None:
        """Replace the script."""
        self.text, self.count = update.text, update.count

    def take(self) -> tuple[str, ...] | None:
        """Tokens of the reply for one request, consuming one use; None when nothing is scripted."""
        if self.text is None:
            return None
        tokens = reply_tokens(self.text)
        if self.count is not None:
            self.count -= 1
            if self.count == 0:
                self.text = self.count = None
        return tokens

    def snapshot(self) -> dict[str, object]:
        """Current script as JSON-able data."""
        return {"text": self.text, "count": self.count}
