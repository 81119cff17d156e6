"""docker/index_s3.py (rag-index-s3): publish a versioned index to S3 and pull it back, against moto."""

import importlib.util
import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from tfkit import REPO

pytestmark = pytest.mark.infra

URL = "s3://rag-index-test/index"


def _load_module():
    spec = importlib.util.spec_from_file_location("index_s3", REPO / "docker" / "index_s3.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


index_s3 = _load_module()


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
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="rag-index-test")
        yield client


def test_pull_before_anything_is_published(s3, tmp_path: Path):
    assert index_s3.pull_once(s3, URL, tmp_path) is None
    assert not (tmp_path / "current").exists()


def test_publish_then_pull_and_swap(s3, tmp_path: Path):
    built, served = tmp_path / "built", tmp_path / "served"
    served.mkdir()
    _make_version(built, "v1", "first")
    assert index_s3.publish(s3, built, URL) == "v1"
    assert index_s3.pull_once(s3, URL, served) == "v1"
    assert (served / "current" / "sub" / "chunks.jsonl").read_text() == "first"
    assert os.readlink(served / "current") == "versions/v1"

    _make_version(built, "v2", "second")
    index_s3.publish(s3, built, URL)
    assert index_s3.pull_once(s3, URL, served) == "v2"
    assert (served / "current" / "sub" / "chunks.jsonl").read_text() == "second"
    # The previous version stays for readers still on it; nothing is half-written.
    assert sorted(p.name for p in (served / "versions").iterdir()) == ["v1", "v2"]
    assert not list(served.glob(".staging-*"))
    assert index_s3.pull_once(s3, URL, served) == "v2"


def test_current_naming_a_missing_version_fails_loudly(s3, tmp_path: Path):
    s3.put_object(Bucket="rag-index-test", Key="index/CURRENT", Body=b"v9")
    with pytest.raises(RuntimeError, match="empty"):
        index_s3.pull_once(s3, URL, tmp_path)
    assert not (tmp_path / "current").exists()


def test_malformed_current_is_rejected(s3, tmp_path: Path):
    s3.put_object(Bucket="rag-index-test", Key="index/CURRENT", Body=b"../../etc")
    with pytest.raises(ValueError, match="malformed"):
        index_s3.pull_once(s3, URL, tmp_path)


def test_split_url_rejects_non_s3():
    with pytest.raises(ValueError):
        index_s3.split_url("https://example.com/index")
