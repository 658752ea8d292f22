"""Publish every chapter as an executed notebook (with outputs) next to the built pages.

The executed notebooks under _build/jupyter_execute lack outputs when a page came from the
execution cache, so the outputs are taken from the cache itself (jupyter-cache). Each notebook is
written twice: under ``notebooks/`` (the intro's list) and over ``_sources/chapters/*.ipynb``,
which is what the page's download button offers, so both always carry outputs.

The notebooks show what the pages show: stderr is left out (the build's ``stderr_output:
remove``; it holds library warnings that name the build machine's paths), and any remaining
mention of the build folder is replaced by ``.``.

Usage: python scripts/publish_notebooks.py  (after a book build)
"""

import sys
from pathlib import Path

# Run as a script, go without jsonschema's optional IRI checker: importing rfc3987_syntax builds a
# grammar (about 1.4 s of every run, most of a warm `make book`'s steps), and no notebook schema
# checks an IRI. Imported as a module (by the tests, by bench/chapters.py), nothing changes.
if __name__ == "__main__":
    sys.modules.setdefault("rfc3987_syntax", None)  # `import rfc3987_syntax` now raises ImportError

import jupytext  # noqa: E402  (after the line above)
import nbformat  # noqa: E402
from jupyter_cache import get_cache  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
OUT = HTML / "notebooks"
SOURCES = HTML / "_sources" / "chapters"


def as_published(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without stderr streams and without the build folder's absolute path."""
    root = str(ROOT)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue
            if "text" in output:
                output["text"] = output["text"].replace(root, ".")
            for key, value in output.get("data", {}).items():
                if isinstance(value, str) and key.startswith("text/"):
                    output["data"][key] = value.replace(root, ".")
            if output.get("output_type") == "error":
                output["traceback"] = [line.replace(root, ".") for line in output.get("traceback", [])]
            kept.append(output)
        cell["outputs"] = kept
    return notebook


def main() -> int:
    """Write every chapter's executed notebook; return a shell exit status."""
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
        published = as_published(merged)
        nbformat.write(published, OUT / f"{chapter.stem}.ipynb")
        if SOURCES.is_dir():
            nbformat.write(published, SOURCES / f"{chapter.stem}.ipynb")
    if missing:
        print(f"not in the execution cache (build the book first): {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
