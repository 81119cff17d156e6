"""Split 10-K text into Items, robust to the table of contents that repeats every heading."""

import re
from dataclasses import dataclass

ITEM_TITLES: dict[str, str] = {
    "1": "Business",
    "1A": "Risk Factors",
    "1B": "Unresolved Staff Comments",
    "1C": "Cybersecurity",
    "2": "Properties",
    "3": "Legal Proceedings",
    "4": "Mine Safety Disclosures",
    "5": "Market for Registrant's Common Equity, Related Stockholder Matters and Issuer Purchases of Equity",
    "6": "[Reserved]",
    "7": "Management's Discussion and Analysis of Financial Condition and Results of Operations",
    "7A": "Quantitative and Qualitative Disclosures About Market Risk",
    "8": "Financial Statements and Supplementary Data",
    "9": "Changes in and Disagreements with Accountants on Accounting and Financial Disclosure",
    "9A": "Controls and Procedures",
    "9B": "Other Information",
    "9C": "Disclosure Regarding Foreign Jurisdictions that Prevent Inspections",
    "10": "Directors, Executive Officers and Corporate Governance",
    "11": "Executive Compensation",
    "12": "Security Ownership of Certain Beneficial Owners and Management and Related Stockholder Matters",
    "13": "Certain Relationships and Related Transactions, and Director Independence",
    "14": "Principal Accountant Fees and Services",
    "15": "Exhibits and Financial Statement Schedules",
    "16": "Form 10-K Summary",
}
ITEM_ORDER: dict[str, int] = {code: i for i, code in enumerate(ITEM_TITLES)}
PREAMBLE_TITLE = "Cover page and table of contents"

_HEADING = re.compile(
    r"^[ \t]*(?:part[ \t]+[iv]+[ \t]*[,.:|\-]?[ \t]*)?item[ \t]*(\d{1,2}[a-d]?)\b[ \t]*([.:|\-])?[ \t]*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_MAX_HEADING_LINE = 220
# A table of contents lists most Items within a few thousand characters; real sections are longer.
_TOC_MAX_GAP = 1500
# Some filers (e.g. NVIDIA) state Item 8 "is set forth" in the F-pages filed under Item 15.
_SHORT_ITEM8 = 3000
_AUDITOR_REPORT = re.compile(
    r"^[ \t]*Report of Independent Registered Public Accounting Firm[ \t]*$", re.I | re.M
)
_AFTER_STATEMENTS = re.compile(r"^[ \t]*(Schedule II\b.*|Exhibit Index|Signatures)[ \t]*$", re.I | re.M)
_TOC_MIN_CODES = 12


@dataclass(frozen=True)
class Section:
    """A contiguous span [start, end) of a document's text with its Item code (None for preamble)."""

    item: str | None
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class _Candidate:
    code: str
    pos: int


def _candidates(text: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    for m in _HEADING.finditer(text):
        code = m.group(1).upper()
        punct, rest = m.group(2), m.group(3).strip()
        if code not in ITEM_ORDER or len(m.group(0)) > _MAX_HEADING_LINE:
            continue
        # Cross-references ("Item 8 of this Form 10-K", "Item 1B, 2, 3") are not headings.
        if rest[:1].islower() or rest.startswith(("of ", ",", "and ", "(")):
            continue
        # Bare "Item 7" lines are running page headers in some PDFs.
        if not punct and not rest:
            continue
        found.append(_Candidate(code, m.start()))
    return found


def _drop_table_of_contents(cands: list[_Candidate]) -> list[_Candidate]:
    """Drop runs of closely spaced, ascending headings that list most Items (a table of contents)."""
    runs: list[list[_Candidate]] = []
    for cand in cands:
        prev = runs[-1][-1] if runs else None
        if (
            prev is not None
            and cand.pos - prev.pos <= _TOC_MAX_GAP
            and ITEM_ORDER[cand.code] > ITEM_ORDER[prev.code]
        ):
            runs[-1].append(cand)
        else:
            runs.append([cand])
    return [c for run in runs if len(run) < _TOC_MIN_CODES for c in run]


def _ordered_chain(cands: list[_Candidate]) -> list[_Candidate]:
    """Pick at most one heading per Item, in canonical order, preferring the last plausible one."""
    chain: list[_Candidate] = []
    bound = float("inf")
    for code in reversed(ITEM_TITLES):
        options = [c for c in cands if c.code == code and c.pos < bound]
        if options:
            # The last occurrence before the next Item: earlier ones are TOC or cover-page mentions.
            best = max(options, key=lambda c: c.pos)
            chain.append(best)
            bound = best.pos
    chain.reverse()
    return chain


def split_items(text: str) -> list[Section]:
    """Return preamble + Item sections covering the whole text; [] when no Item headings are found."""
    chain = _ordered_chain(_drop_table_of_contents(_candidates(text)))
    if not chain:
        return []
    sections: list[Section] = []
    if chain[0].pos > 0:
        sections.append(Section(None, PREAMBLE_TITLE, 0, chain[0].pos))
    for cur, nxt in zip(chain, [*chain[1:], None], strict=True):
        end = nxt.pos if nxt else len(text)
        sections.append(Section(cur.code, ITEM_TITLES[cur.code], cur.pos, end))
    return _relocate_financial_statements(text, sections)


def _relocate_financial_statements(text: str, sections: list[Section]) -> list[Section]:
    """Label F-pages inside Item 15 as Item 8 when Item 8 only points to them."""
    by_item = {s.item: s for s in sections}
    item8, item15 = by_item.get("8"), by_item.get("15")
    if item8 is None or item15 is None or item8.end - item8.start > _SHORT_ITEM8:
        return sections
    report = _AUDITOR_REPORT.search(text, item15.start, item15.end)
    if report is None:
        return sections
    tail = _AFTER_STATEMENTS.search(text, report.end(), item15.end)
    fs_end = tail.start() if tail else item15.end
    title = ITEM_TITLES["8"]
    out: list[Section] = []
    for sec in sections:
        if sec is not item15:
            out.append(sec)
            continue
        out.append(Section("15", sec.title, sec.start, report.start()))
        out.append(Section("8", title, report.start(), fs_end))
        if fs_end < sec.end:
            out.append(Section("15", sec.title, fs_end, sec.end))
    return out
