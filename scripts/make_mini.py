"""Generate the mini benchmark bundled with vdbench (src/vdbench/data/mini).

The generator is the package scripts/minibench (its docstring describes the benchmark).
Usage: python scripts/make_mini.py [--out DIR]     (default: src/vdbench/data/mini)
Deterministic: same seed, same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # so the script runs from a checkout without installing
sys.path.insert(0, str(ROOT / "scripts"))
from minibench.build import main as build


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "src/vdbench/data/mini")
    return build(ap.parse_args(argv).out)


if __name__ == "__main__":
    raise SystemExit(main())
