"""Build the Lambda zip: the `warmup` package only (boto3 comes with the python3.12 runtime)."""

import argparse
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "src" / "warmup"
# A fixed timestamp makes the zip, and so Terraform's source_code_hash, depend only on the code.
EPOCH = (2020, 1, 1, 0, 0, 0)


def build(out: Path) -> Path:
    """Write a reproducible zip of src/warmup to out and return it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(SOURCE.rglob("*.py")):
            info = zipfile.ZipInfo(str(Path("warmup") / path.relative_to(SOURCE)), date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return out


def main() -> None:
    """CLI: python lambdas/warmup/package.py build/warmup.zip"""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="zip file to write")
    print(build(parser.parse_args().out))


if __name__ == "__main__":
    main()
