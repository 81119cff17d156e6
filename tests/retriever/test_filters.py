"""OpenAI filter grammar: validation errors name the field; evaluation over metadata columns."""

import numpy as np
import pytest
from retriever.filters import FILTER_KEYS, CodedStrings, CompoundFilter, FilterError, evaluate, parse_filter

STRINGS = {
    "ticker": ["AAPL", "AAPL", "MSFT", "NVDA", "TSLA"],
    "item": ["1A", "7", "7", "8", ""],
    "filing_date": ["2022-10-28", "2024-11-01", "2023-07-27", "2024-02-21", ""],
}
STRINGS.update({k: [""] * 5 for k in FILTER_KEYS if k not in STRINGS and k not in ("page", "fiscal_year")})
# The store's layout: string keys coded ('' = missing), int keys as floats (NaN = missing).
COLUMNS = {k: CodedStrings.of(v) for k, v in STRINGS.items()}
COLUMNS["fiscal_year"] = np.array([2022.0, 2024.0, 2023.0, 2024.0, np.nan])
COLUMNS["page"] = np.array([np.nan] * 5)


def rows(filt) -> list[int]:
    return np.flatnonzero(evaluate(parse_filter(filt), COLUMNS)).tolist()


@pytest.mark.parametrize(
    ("filt", "expected"),
    [
        ({"type": "eq", "key": "ticker", "value": "aapl"}, [0, 1]),
        ({"type": "ne", "key": "ticker", "value": "AAPL"}, [2, 3, 4]),
        ({"type": "in", "key": "ticker", "value": ["MSFT", "NVDA"]}, [2, 3]),
        ({"type": "nin", "key": "ticker", "value": ["AAPL", "TSLA"]}, [2, 3]),
        ({"type": "gt", "key": "fiscal_year", "value": 2023}, [1, 3]),
        ({"type": "gte", "key": "fiscal_year", "value": 2023}, [1, 2, 3]),
        ({"type": "lt", "key": "fiscal_year", "value": 2023}, [0]),
        ({"type": "lte", "key": "filing_date", "value": "2023-12-31"}, [0, 2]),
        ({"type": "eq", "key": "item", "value": "7"}, [1, 2]),
    ],
)
def test_comparisons(filt, expected):
    assert rows(filt) == expected


def string_oracle(op: str, value, cell: str) -> bool:
    """One row's answer by comparing its string: '' is a missing value, which matches only ne and nin."""
    present = cell != ""
    values = value if isinstance(value, tuple) else (value,)
    match op:
        case "eq" | "in":
            return present and cell in values
        case "ne" | "nin":
            return not (present and cell in values)
        case "gt":
            return present and cell > value
        case "gte":
            return present and cell >= value
        case "lt":
            return present and cell < value
        case "lte":
            return present and cell <= value
    raise AssertionError(op)


@pytest.mark.parametrize("op", ["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"])
@pytest.mark.parametrize("key", ["ticker", "item", "filing_date"])
def test_coded_columns_match_string_comparison(op, key):
    """Every operator on coded strings selects what comparing the strings selects, for held values, absent
    values between and beyond them, and the empty string (which no row holds: '' marks a missing value)."""
    held = sorted(set(STRINGS[key]) - {""})
    probes = [*held, "", "0", "~", held[0] + "x", held[-1][:-1]]
    for value in probes:
        parsed = parse_filter(
            {"type": op, "key": key, "value": [value, held[0]] if op in ("in", "nin") else value}
        )
        expected = [string_oracle(op, parsed.value, cell) for cell in STRINGS[key]]
        assert evaluate(parsed, COLUMNS).tolist() == expected, (op, value)


def test_coded_strings_read_back_and_cost_four_bytes_a_row():
    values = np.array(["Apple Inc.", "", "Microsoft Corporation", "Apple Inc."] * 1000)
    coded = CodedStrings.of(values)
    assert coded[np.arange(4)].tolist() == ["Apple Inc.", "", "Microsoft Corporation", "Apple Inc."]
    assert coded.codes.nbytes == 4 * len(values) < values.nbytes / 20


def test_compound_and_with_fiscal_year_range_and_in():
    filt = {
        "type": "and",
        "filters": [
            {"type": "in", "key": "ticker", "value": ["AAPL", "MSFT", "TSLA"]},
            {"type": "gte", "key": "fiscal_year", "value": 2023},
            {"type": "lte", "key": "fiscal_year", "value": "2024"},
        ],
    }
    assert rows(filt) == [1, 2]


def test_compound_or():
    filt = {
        "type": "or",
        "filters": [
            {"type": "eq", "key": "item", "value": "8"},
            {"type": "eq", "key": "ticker", "value": "TSLA"},
        ],
    }
    assert rows(filt) == [3, 4]


@pytest.mark.parametrize(
    ("filt", "param", "message"),
    [
        ({"type": "eq", "key": "foo", "value": 1}, "filters.key", "unknown filter key 'foo'"),
        ({"type": "like", "key": "ticker", "value": "A"}, "filters.type", "unknown filter type 'like'"),
        ({"type": "in", "key": "ticker", "value": "AAPL"}, "filters.value", "needs a non-empty list"),
        ({"type": "eq", "key": "fiscal_year", "value": "twenty"}, "filters.value", "must be an integer"),
        ({"type": "eq", "key": "ticker"}, "filters.value", "needs a 'value'"),
        ({"type": "and", "filters": []}, "filters.filters", "non-empty 'filters'"),
        (
            {
                "type": "and",
                "filters": [
                    {"type": "eq", "key": "ticker", "value": "A"},
                    {"type": "eq", "key": "x", "value": 1},
                ],
            },
            "filters.filters[1].key",
            "unknown filter key 'x'",
        ),
        ({"type": "gt", "key": "fiscal_year", "value": [2023]}, "filters.value", "single value"),
    ],
)
def test_errors_name_the_field(filt, param, message):
    with pytest.raises(FilterError, match=message) as info:
        parse_filter(filt)
    assert info.value.param == param
    assert isinstance(info.value, ValueError)


def test_none_and_parsed_filters_pass_through():
    assert parse_filter(None) is None
    parsed = parse_filter({"type": "and", "filters": [{"type": "eq", "key": "ticker", "value": "A"}]})
    assert isinstance(parsed, CompoundFilter)
    assert parse_filter(parsed) is parsed
