"""`rag-index` error paths and happy paths, run in-process (and once as a console script)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import respx
from retriever.cli import main, parse_cli_filter
from retriever.sources.edgar import TICKERS_URL

FIXTURES = Path(__file__).parent / "fixtures" / "edgar"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, cache_dir: Path, tmp_path: Path):
    monkeypatch.setenv("RAG_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "default-index"))
    monkeypatch.delenv("SEC_USER_AGENT", raising=False)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("rag-index: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_missing_and_empty_corpus(tmp_path: Path, capsys):
    code, _, err = run(["build", "--corpus", str(tmp_path / "nope"), "--out", str(tmp_path / "i")], capsys)
    assert code == 1 and "does not exist" in one_error_line(err)
    (tmp_path / "empty").mkdir()
    code, _, err = run(["build", "--corpus", str(tmp_path / "empty"), "--out", str(tmp_path / "i")], capsys)
    assert code == 1 and "is empty" in one_error_line(err)


def test_bad_manifest(tmp_path: Path, capsys):
    (tmp_path / "manifest.csv").write_text("name,ticker\nx.pdf,AAPL\n")
    code, _, err = run(["build", "--corpus", str(tmp_path), "--out", str(tmp_path / "i")], capsys)
    assert code == 1 and "missing column(s) file, company, cik, form, fiscal_year" in one_error_line(err)
    (tmp_path / "manifest.csv").write_text(
        "file,ticker,company,cik,form,fiscal_year\nx.pdf,AAPL,A,1,10-K,soon\n"
    )
    code, _, err = run(["build", "--corpus", str(tmp_path), "--out", str(tmp_path / "i")], capsys)
    assert code == 1 and "fiscal_year 'soon'" in one_error_line(err)


def test_fetch_needs_user_agent_and_rejects_unknown_tickers(tmp_path: Path, capsys, monkeypatch):
    code, _, err = run(["fetch", "--tickers", "AAPL", "--corpus", str(tmp_path / "c")], capsys)
    assert code == 1 and "User-Agent" in one_error_line(err)
    monkeypatch.setenv("SEC_USER_AGENT", "Tests ops@example.com")
    with respx.mock() as mock:
        mock.get(TICKERS_URL).respond(200, content=(FIXTURES / "company_tickers.json").read_bytes())
        code, _, err = run(["fetch", "--tickers", "AAPL,NOPE", "--corpus", str(tmp_path / "c")], capsys)
    assert code == 1 and "unknown ticker(s): NOPE" in one_error_line(err)


def test_unreadable_file_is_skipped_not_fatal(slice_corpus: Path, tmp_path: Path, model_path: str, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(slice_corpus, corpus)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7 truncated")
    with (corpus / "manifest.csv").open("a") as fh:
        fh.write("broken.pdf,AAPL,Apple Inc.,320193,10-K,2020,,pdf,,test\n")
    out_dir = tmp_path / "index"
    code, out, err = run(
        ["build", "--corpus", str(corpus), "--out", str(out_dir), "--model", model_path, "--quiet"], capsys
    )
    assert code == 0, err
    assert "skipped unreadable file: broken.pdf" in err
    assert "chunks from 2 new/updated file(s)" in out

    code, out, _ = run(["info", "--index", str(out_dir)], capsys)
    assert code == 0 and "AAPL_FY2024_10K.txt" in out and "broken.pdf" not in out
    code, out, _ = run(
        [
            "search",
            "electric vehicles",
            "--index",
            str(out_dir),
            "--model",
            model_path,
            "--filter",
            "ticker=TSLA",
            "--filter",
            "fiscal_year>=2023",
            "-k",
            "2",
        ],
        capsys,
    )
    assert code == 0 and out.startswith("1. [") and "TSLA FY2023" in out


def test_nothing_readable_is_fatal(tmp_path: Path, model_path: str, capsys):
    (tmp_path / "a.pdf").write_bytes(b"not a pdf")
    (tmp_path / "manifest.csv").write_text(
        "file,ticker,company,cik,form,fiscal_year\na.pdf,X,X Corp,1,10-K,2024\n"
    )
    code, _, err = run(
        ["build", "--corpus", str(tmp_path), "--out", str(tmp_path / "i"), "--model", model_path, "--quiet"],
        capsys,
    )
    assert code == 1 and "no readable filings" in one_error_line(err)


def test_search_errors(tmp_path: Path, built_index: Path, model_path: str, capsys):
    code, _, err = run(["search", "q", "--index", str(tmp_path / "none"), "--model", model_path], capsys)
    assert code == 1 and "no index found" in one_error_line(err)
    code, _, err = run(
        ["search", "q", "--index", str(built_index), "--model", model_path, "--filter", "colour=red"], capsys
    )
    assert code == 1 and "unknown filter key 'colour'" in one_error_line(err)
    code, _, err = run(["info", "--index", str(tmp_path / "none")], capsys)
    assert code == 1 and "no index found" in one_error_line(err)


def test_parse_cli_filter():
    assert parse_cli_filter(["ticker=AAPL"]) == {"type": "eq", "key": "ticker", "value": "AAPL"}
    assert parse_cli_filter(["ticker=AAPL,MSFT", "fiscal_year>=2023"]) == {
        "type": "and",
        "filters": [
            {"type": "in", "key": "ticker", "value": ["AAPL", "MSFT"]},
            {"type": "gte", "key": "fiscal_year", "value": "2023"},
        ],
    }
    assert parse_cli_filter([]) is None


def test_console_script_reports_one_line(tmp_path: Path):
    script = Path(sys.executable).parent / "rag-index"
    result = subprocess.run(
        [str(script), "build", "--corpus", str(tmp_path / "missing"), "--out", str(tmp_path / "i")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"rag-index: error: corpus folder {tmp_path / 'missing'} does not exist"
    ]
