"""Tests of the coursework package (hand-outs, grading, the command line), beside those of hlmkit."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
CH01 = ROOT / "chapters" / "01_why_hierarchical.md"


def stem(path: Path) -> str:
    return path.stem
