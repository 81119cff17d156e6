"""OpenAI filter grammar: validation errors name the field; evaluation over metadata columns."""

import numpy as np
import pytest
from retriever.filters import FILTER_KEYS, CompoundFilter, FilterError, evaluate, parse_filter

COLUMNS = {
    "ticker": np.array(["AAPL", "AAPL", "MSFT", "NVDA", "TSLA"]),
    "fiscal_year": np.array([2022.0, 2024.0, 2023.0, 2024.0, np.nan]),
    "item": np.array(["1A", "7", "7", "8", ""]),
    "filing_date": np.array(["2022-10-28", "2024-11-01", "2023-07-27", "2024-02-21", ""]),
}
COLUMNS.update({k: np.array([""] * 5) for k in FILTER_KEYS if k not in COLUMNS and k != "page"})
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
