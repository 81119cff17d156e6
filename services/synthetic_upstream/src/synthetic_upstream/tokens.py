"""The checkable output sequence: token i is the word ``t{i}``, joined by single spaces."""


def token_text(index: int) -> str:
    """Text of streamed token ``index`` (a leading space on every token but the first)."""
    return f"t{index}" if index == 0 else f" t{index}"


def expected_text(n_tokens: int) -> str:
    """The full completion text the upstream emits for ``n_tokens`` tokens."""
    return " ".join(f"t{i}" for i in range(n_tokens))


def check_token_sequence(text: str, expected_tokens: int | None = None) -> list[str]:
    """Problems found in ``text`` (duplicated, missing or foreign tokens); empty when it is clean."""
    problems: list[str] = []
    words = text.split()
    for position, word in enumerate(words):
        if word != f"t{position}":
            problems.append(f"position {position}: expected t{position}, got {word!r}")
            break
    if expected_tokens is not None and len(words) != expected_tokens:
        problems.append(f"expected {expected_tokens} tokens, got {len(words)}")
    return problems
