"""retriever.index.distribution and `rag-index publish | pull`: the S3 CURRENT protocol, against moto."""

import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from retriever.cli import main
from retriever.index.distribution import DistributionError, publish, pull_once, split_url

BUCKET = "rag-index-test"
URL = f"s3://{BUCKET}/index"


def _make_version(root: Path, version: str, text: str) -> None:
    folder = root / "versions" / version
    (folder / "sub").mkdir(parents=True)
    (folder / "manifest.json").write_text(f'{{"version": "{version}"}}')
    (folder / "sub" / "chunks.jsonl").write_text(text)
    link = root / "current"
    link.unlink(missing_ok=True)
    link.symlink_to(f"versions/{version}")


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_pull_before_anything_is_published(s3, tmp_path: Path):
    assert pull_once(s3, URL, tmp_path) is None
    assert not (tmp_path / "current").exists()


def test_publish_then_pull_and_swap(s3, tmp_path: Path):
    built, served = tmp_path / "built", tmp_path / "served"
    served.mkdir()
    _make_version(built, "v1", "first")
    assert publish(s3, built, URL) == "v1"
    assert s3.get_object(Bucket=BUCKET, Key="index/CURRENT")["Body"].read() == b"v1"
    assert pull_once(s3, URL, served) == "v1"
    assert (served / "current" / "sub" / "chunks.jsonl").read_text() == "first"
    assert os.readlink(served / "current") == "versions/v1"

    _make_version(built, "v2", "second")
    publish(s3, built, URL)
    assert pull_once(s3, URL, served) == "v2"
    assert (served / "current" / "sub" / "chunks.jsonl").read_text() == "second"
    # The previous version stays for readers still on it; nothing is half-written.
    assert sorted(p.name for p in (served / "versions").iterdir()) == ["v1", "v2"]
    assert not list(served.glob(".staging-*"))
    assert pull_once(s3, URL, served) == "v2"


def test_current_naming_a_missing_version_fails_loudly(s3, tmp_path: Path):
    s3.put_object(Bucket=BUCKET, Key="index/CURRENT", Body=b"v9")
    with pytest.raises(DistributionError, match="empty"):
        pull_once(s3, URL, tmp_path)
    assert not (tmp_path / "current").exists()


def test_malformed_current_is_rejected(s3, tmp_path: Path):
    s3.put_object(Bucket=BUCKET, Key="index/CURRENT", Body=b"../../etc")
    with pytest.raises(DistributionError, match="malformed"):
        pull_once(s3, URL, tmp_path)


def test_split_url_rejects_non_s3():
    with pytest.raises(DistributionError):
        split_url("https://example.com/index")
    assert split_url("s3://b/a/b/") == ("b", "a/b")


def test_cli_publish_and_pull_once(s3, tmp_path: Path, capsys):
    _make_version(tmp_path / "built", "v1", "first")
    assert main(["publish", "--index", str(tmp_path / "built"), "--url", URL]) == 0
    assert main(["pull", "--url", URL, "--dest", str(tmp_path / "served"), "--interval", "0"]) == 0
    assert (tmp_path / "served" / "current" / "sub" / "chunks.jsonl").read_text() == "first"
    assert "published v1" in capsys.readouterr().out


def test_cli_errors_are_one_line(s3, tmp_path: Path, capsys):
    assert main(["publish", "--index", str(tmp_path / "nothing"), "--url", URL]) == 1
    assert (
        main(["pull", "--url", "s3://missing-bucket/index", "--dest", str(tmp_path), "--interval", "0"]) == 1
    )
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 2 and all(line.startswith("rag-index: error:") for line in lines), err
    assert "no index at" in lines[0] and "NoSuchBucket" in lines[1]
