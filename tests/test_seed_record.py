"""The seed sweep's record is keyed by what a chapter executes (scripts/seeds.py ``code_hash``).

A prose edit must keep a chapter's sweep valid, and every edit to a code cell, its tags or the
kernel must not: otherwise a chapter could change what it runs and still pass ``make test`` on
seeds run for other code. The key must also see every cell that myst-nb executes.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from myst_nb.core.read import read_myst_markdown_notebook

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("seeds", ROOT / "scripts" / "seeds.py")
assert spec is not None and spec.loader is not None
seeds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seeds)

PAGE = """---
kernelspec:
  name: python3
---

# A chapter

Some prose with a {glue:text}`number`.

```{code-cell} ipython3
:tags: [remove-cell]
x = 1
```

More prose.

````{code-cell} ipython3
text = '''
```
'''
````
"""


def key(text: str) -> str:
    return seeds.hashlib.sha256(seeds.executed_text(text).encode()).hexdigest()


def test_a_prose_edit_keeps_the_key():
    edited = PAGE.replace("More prose.", "Other prose, with a new exercise.\n\n```{exercise}\n:label: ex-a\nWhy?\n```")
    assert key(edited) == key(PAGE)


@pytest.mark.parametrize(
    "old, new",
    [
        ("x = 1", "x = 2"),  # code
        ("[remove-cell]", "[remove-cell, raises-exception]"),  # tags decide how a cell runs
        ("name: python3", "name: python2"),  # the kernel
        ("'''\n```\n'''", "'''\n```\n'''\ny = 3"),  # after a fence-like line inside a longer fence
    ],
)
def test_an_edit_to_what_runs_changes_the_key(old, new):
    assert old in PAGE
    assert key(PAGE.replace(old, new)) != key(PAGE)


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md")), ids=lambda p: p.stem)
def test_the_key_sees_every_cell_the_build_executes(path):
    text = path.read_text()
    notebook = read_myst_markdown_notebook(text)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    executed = seeds.executed_text(text)
    assert executed.count("{code-cell}") == len(code)
    position = 0
    for source in code:
        found = executed.find(source, position)
        assert found >= 0, f"{path.stem}: a code cell is missing from the sweep's key: {source[:80]!r}"
        position = found + len(source)


def test_a_run_fails_on_a_glued_numpy_scalar_that_the_book_cannot_format():
    # Found in ch12: glue("radon_ratio", np.float64(...)) ran in every seed of the sweep, and the
    # strict build then failed to format {glue:text}`radon_ratio:.2f`.
    import nbformat

    def notebook(text):  # what myst_nb.glue(name, value, display=False) writes
        output = nbformat.v4.new_output(
            "display_data", data={"application/papermill.record/text/plain": text},
            metadata={"scrapbook": {"name": "ratio", "mime_prefix": "application/papermill.record/"}},
        )
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("glue(...)", outputs=[output])])

    message = seeds.unformattable_glue(notebook("np.float64(0.9434851648482144)"))
    assert "glue('ratio')" in message and "float(...)" in message
    assert seeds.unformattable_glue(notebook("0.9434851648482144")) == ""
    assert seeds.unformattable_glue(notebook("'np.float64 is fine as a string'")) == ""
