"""Publish every chapter as an executed notebook (with outputs) next to the built pages.

The executed notebooks under _build/jupyter_execute lack outputs when a page came from the
execution cache, so the outputs are taken from the cache itself (jupyter-cache).
Usage: python scripts/publish_notebooks.py  (after a book build)
"""

import sys
from pathlib import Path

import jupytext
import nbformat
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "html" / "notebooks"


def main() -> int:
    cache = get_cache(ROOT / "_build" / ".jupyter_cache")
    OUT.mkdir(parents=True, exist_ok=True)
    missing = []
    for chapter in sorted((ROOT / "chapters").glob("*.md")):
        notebook = jupytext.read(chapter)
        try:
            _, merged = cache.merge_match_into_notebook(notebook)
        except KeyError:
            missing.append(chapter.name)
            continue
        nbformat.write(merged, OUT / f"{chapter.stem}.ipynb")
    if missing:
        print(f"not in the execution cache (build the book first): {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
