"""OpenAI vector-store filter grammar: parsing, validation and evaluation over metadata columns."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np

COMPARISON_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")
COMPOUND_OPS = ("and", "or")
INT_KEYS = frozenset({"fiscal_year", "page", "char_start", "char_end"})
UPPER_KEYS = frozenset({"ticker", "form", "item"})
FILTER_KEYS: tuple[str, ...] = (
    "ticker",
    "company",
    "cik",
    "form",
    "fiscal_year",
    "period_end",
    "filing_date",
    "item",
    "item_title",
    "accession",
    "doc_id",
    "page",
    "source_file",
)
Scalar: TypeAlias = str | int | float | bool


class FilterError(ValueError):
    """An invalid filter; .param names the offending field, e.g. `filters.filters[1].key`."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Comparison:
    """`{"type": op, "key": key, "value": value}`."""

    type: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]
    key: str
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class CompoundFilter:
    """`{"type": "and"|"or", "filters": [...]}`."""

    type: Literal["and", "or"]
    filters: tuple["Filter", ...]


Filter: TypeAlias = Comparison | CompoundFilter


def parse_filter(obj: Mapping[str, Any] | Filter | None, param: str = "filters") -> Filter | None:
    """Validate an OpenAI-style filter dict into a Filter (None passes through)."""
    if obj is None or isinstance(obj, Comparison | CompoundFilter):
        return obj
    if not isinstance(obj, Mapping):
        raise FilterError(f"filter must be an object, got {type(obj).__name__}", param)
    kind = obj.get("type")
    if kind in COMPOUND_OPS:
        children = obj.get("filters")
        if not isinstance(children, list) or not children:
            raise FilterError(f"'{kind}' filter needs a non-empty 'filters' list", f"{param}.filters")
        parsed = tuple(parse_filter(c, f"{param}.filters[{i}]") for i, c in enumerate(children))
        return CompoundFilter(kind, tuple(p for p in parsed if p is not None))
    if kind not in COMPARISON_OPS:
        expected = ", ".join(COMPARISON_OPS + COMPOUND_OPS)
        raise FilterError(f"unknown filter type {kind!r}; expected one of {expected}", f"{param}.type")
    key = obj.get("key")
    if key not in FILTER_KEYS:
        raise FilterError(
            f"unknown filter key {key!r}; expected one of {', '.join(FILTER_KEYS)}", f"{param}.key"
        )
    if "value" not in obj:
        raise FilterError(f"filter on {key!r} needs a 'value'", f"{param}.value")
    return Comparison(kind, key, _coerce_value(kind, key, obj["value"], f"{param}.value"))


def _coerce_scalar(key: str, value: Any, param: str) -> Scalar:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FilterError(f"value for {key!r} must be a string or number, got {type(value).__name__}", param)
    if key in INT_KEYS:
        try:
            return int(value)
        except ValueError as exc:
            raise FilterError(f"value for {key!r} must be an integer, got {value!r}", param) from exc
    text = str(value).strip()
    return text.upper() if key in UPPER_KEYS else text


def _coerce_value(kind: str, key: str, value: Any, param: str) -> Scalar | tuple[Scalar, ...]:
    if kind in ("in", "nin"):
        if not isinstance(value, list | tuple) or not value:
            raise FilterError(f"'{kind}' filter on {key!r} needs a non-empty list value", param)
        return tuple(_coerce_scalar(key, v, f"{param}[{i}]") for i, v in enumerate(value))
    if isinstance(value, list | tuple):
        raise FilterError(f"'{kind}' filter on {key!r} needs a single value, not a list", param)
    return _coerce_scalar(key, value, param)


@dataclass(frozen=True)
class CodedStrings:
    """A string column as int32 codes into its sorted distinct values ('' = missing).

    At millions of rows a fixed-width numpy string column costs 4 bytes per character per row (a company name
    ~160 B) and compares strings on every filter; codes cost 4 B a row and compare integers. Because the
    categories are sorted, comparing codes orders rows exactly as comparing their strings would, so every
    operator (range ones on ISO dates included) keeps its meaning.
    """

    codes: np.ndarray
    categories: np.ndarray

    @classmethod
    def of(cls, values: Sequence[str] | np.ndarray) -> "CodedStrings":
        """Code a sequence of strings."""
        categories, codes = np.unique(np.asarray(values, dtype=str), return_inverse=True)
        return cls(codes.astype(np.int32).reshape(-1), categories)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, rows: Any) -> np.ndarray:
        """The strings of some rows."""
        return self.categories[self.codes[rows]]

    def code(self, value: str) -> int:
        """The value's code, or -1 when no row holds it."""
        at = int(np.searchsorted(self.categories, value))
        return at if at < len(self.categories) and self.categories[at] == value else -1

    def compare(self, op: str, value: Scalar | tuple[Scalar, ...]) -> np.ndarray:
        """Rows whose string satisfies `string op value` (missing rows match only ne and nin).

        One pass over the codes where it can be (a filter is evaluated on every search, at millions of rows).
        """
        codes = self.codes
        missing = self.code("")  # 0 when some row is missing the value ('' sorts first), else -1
        if op in ("in", "nin", "eq", "ne"):
            values = value if isinstance(value, tuple) else (value,)
            wanted = [c for c in (self.code(str(v)) for v in values) if c >= 0 and c != missing]
            hit = codes == wanted[0] if len(wanted) == 1 else np.isin(codes, wanted)
            return ~hit if op in ("ne", "nin") else hit
        # Range: the first code above (gt, lte) or at-or-above (gte, lt) the value, by sorted position.
        side = "right" if op in ("gt", "lte") else "left"
        bound = int(np.searchsorted(self.categories, str(value), side=side))
        if op in ("gt", "gte"):
            return codes >= max(bound, missing + 1)
        below = codes < bound
        return below & (codes > missing) if missing >= 0 else below


Column: TypeAlias = np.ndarray | CodedStrings


def evaluate(filt: Filter, columns: Mapping[str, Column]) -> np.ndarray:
    """Boolean mask over rows; columns maps key → float array with NaN (int keys) or CodedStrings (others)."""
    if isinstance(filt, CompoundFilter):
        masks = [evaluate(f, columns) for f in filt.filters]
        combine = np.logical_and if filt.type == "and" else np.logical_or
        return combine.reduce(masks) if masks else np.ones(_rows(columns), dtype=bool)
    col = columns[filt.key]
    if isinstance(col, CodedStrings):
        return col.compare(filt.type, filt.value)
    return _compare_floats(col, filt.type, filt.value)


def _compare_floats(col: np.ndarray, op: str, value: Scalar | tuple[Scalar, ...]) -> np.ndarray:
    """Comparisons on a float column; NaN (missing) compares false with everything, so needs no mask."""
    match op:
        case "eq":
            return col == value
        case "ne":
            return ~(col == value)
        case "in":
            return np.isin(col, np.array(value))
        case "nin":
            return ~np.isin(col, np.array(value))
        case "gt":
            return col > value
        case "gte":
            return col >= value
        case "lt":
            return col < value
        case "lte":
            return col <= value
    raise FilterError(f"unsupported filter type {op!r}", "filters.type")


def _rows(columns: Mapping[str, Column]) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def filter_keys(filt: Filter | None) -> frozenset[str]:
    """Every metadata key a filter constrains, at any depth."""
    if filt is None:
        return frozenset()
    if isinstance(filt, CompoundFilter):
        return frozenset().union(*(filter_keys(f) for f in filt.filters))
    return frozenset({filt.key})


def required_values(filt: Filter | None, key: str) -> tuple[Scalar, ...] | None:
    """The values `key` must take under the filter's top-level AND chain (eq/in), or None if unconstrained."""
    if filt is None:
        return None
    if isinstance(filt, Comparison):
        if filt.key != key or filt.type not in ("eq", "in"):
            return None
        return filt.value if isinstance(filt.value, tuple) else (filt.value,)
    if filt.type != "and":
        return None
    found = [v for f in filt.filters if (v := required_values(f, key)) is not None]
    if not found:
        return None
    allowed = set(found[0]).intersection(*found[1:])
    return tuple(v for v in found[0] if v in allowed)


def to_dict(filt: Filter) -> dict[str, Any]:
    """The OpenAI-style JSON form of a parsed filter."""
    if isinstance(filt, CompoundFilter):
        return {"type": filt.type, "filters": [to_dict(f) for f in filt.filters]}
    value = list(filt.value) if isinstance(filt.value, tuple) else filt.value
    return {"type": filt.type, "key": filt.key, "value": value}


def all_of(*filters: Filter | None) -> Filter | None:
    """AND of the given filters (None entries dropped); a single one is returned as is."""
    present = [f for f in filters if f is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else CompoundFilter("and", tuple(present))
