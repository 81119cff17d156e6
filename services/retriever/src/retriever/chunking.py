"""Token-aware, sentence-aligned chunking that never crosses a section (10-K Item) boundary."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field
from retriever.parsing.items import Section

# Sentence ends: ., ! or ? (optionally closed by a quote/bracket) followed by whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+")
_LINE = re.compile(r"[^\n]+")

TokenCounter = Callable[[Sequence[str]], list[int]]
TokenSplitter = Callable[[str, int], list[tuple[int, int]]]


class ChunkerParams(BaseModel):
    """Chunk size and overlap in embedding-model tokens (recorded in the index manifest)."""

    chunk_tokens: int = Field(default=200, ge=16)
    overlap_tokens: int = Field(default=48, ge=0)
    min_chunk_chars: int = Field(default=40, ge=0)


@dataclass(frozen=True)
class TextChunk:
    """A chunk's character span in the document and the section it belongs to."""

    start: int
    end: int
    section: Section
    tokens: int


def _units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) into sentence spans; lines (table rows, headings) are hard boundaries."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text, start, end):
        pos = line.start()
        for m in _SENTENCE_END.finditer(text, line.start(), line.end()):
            if m.start() > pos:
                spans.append((pos, m.start()))
            pos = m.end()
        if line.end() > pos and text[pos : line.end()].strip():
            spans.append((pos, line.end()))
    return spans


def chunk_sections(
    text: str,
    sections: Sequence[Section],
    params: ChunkerParams,
    count_tokens: TokenCounter,
    split_long: TokenSplitter,
) -> list[TextChunk]:
    """Pack sentences of each section into chunks of at most params.chunk_tokens tokens, with overlap."""
    chunks: list[TextChunk] = []
    for section in sections:
        units = _units(text, section.start, section.end)
        if not units:
            continue
        counts = count_tokens([text[a:b] for a, b in units])
        pieces: list[tuple[int, int, int]] = []
        for (a, b), n in zip(units, counts, strict=True):
            if n <= params.chunk_tokens:
                pieces.append((a, b, n))
                continue
            # A sentence longer than a chunk (big table row, run-on list) is cut on token boundaries.
            for sa, sb in split_long(text[a:b], params.chunk_tokens):
                pieces.append((a + sa, a + sb, params.chunk_tokens))
        chunks.extend(_pack(text, pieces, section, params))
    return chunks


def _pack(
    text: str, pieces: list[tuple[int, int, int]], section: Section, params: ChunkerParams
) -> list[TextChunk]:
    out: list[TextChunk] = []
    i = 0
    while i < len(pieces):
        total = 0
        j = i
        while j < len(pieces) and (j == i or total + pieces[j][2] <= params.chunk_tokens):
            total += pieces[j][2]
            j += 1
        start, end = pieces[i][0], pieces[j - 1][1]
        if end - start >= params.min_chunk_chars or not out:
            out.append(TextChunk(start, end, section, total))
        if j >= len(pieces):
            break
        # Step back over whole sentences worth at most overlap_tokens, always advancing, and only as
        # far as still leaves room for the next new sentence (else a chunk would be pure overlap).
        back, k = 0, j
        room = params.chunk_tokens - pieces[j][2]
        while k - 1 > i and back + pieces[k - 1][2] <= min(params.overlap_tokens, room):
            k -= 1
            back += pieces[k][2]
        i = k
    return [c for c in out if text[c.start : c.end].strip()]
