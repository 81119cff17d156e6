"""Whitespace and entity normalisation shared by every parser."""

import html
import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2022": "-",
        "\u25cf": "-",
        "\u00ad": None,
        "\ufeff": None,
    }
)


def normalize_inline(text: str) -> str:
    """Collapse runs of spaces, fix leftover entities and typographic characters in one line."""
    text = html.unescape(text) if "&" in text else text
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return _SPACES.sub(" ", text).strip()


def normalize_block(text: str) -> str:
    """Normalise every line and squeeze blank-line runs to a single blank line."""
    lines = [normalize_inline(line) for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
