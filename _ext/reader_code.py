"""The code a reader sees: the book's build plumbing left out of the shown cells, not out of the source.

Every chapter opens with a cell of imports and settings. Three of its lines serve the build,
not the lesson:

- ``from myst_nb import glue`` and ``from IPython.display import Markdown``: glue puts computed
  numbers into the prose, from cells the page already hides;
- ``RANDOM_SEED = int(os.environ.get("BOOK_SEED", 2024))``: the seed sweep (``make seeds``) runs
  each chapter with other seeds through this variable. The page shows it as
  ``RANDOM_SEED = 2024``, what it is in every build of the website;
- ``import os``, which only that line uses.

This transform drops those lines from the code shown on the page (and rewrites the seed line), so
a reader copying a cell gets what the lesson needs. The chapter's source, the notebook download
and the student hand-outs keep every line: they run as the book runs. A page that uses ``os``
for anything else keeps its ``import os``.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.transforms import SphinxTransform

#: Lines that serve the build only, left out of the shown code.
PLUMBING = frozenset({"from myst_nb import glue", "from IPython.display import Markdown"})
#: The seed line, and what the page shows instead.
SEED_LINE = re.compile(r'^RANDOM_SEED = int\(os\.environ\.get\("BOOK_SEED", (\d+)\)\)(\s*#.*)?$')


def shown_code(source: str, keep_os: bool) -> str:
    """Return the code a reader sees of a cell's ``source`` (see the module's docstring)."""
    shown = []
    for line in source.split("\n"):
        if line.strip() in PLUMBING or (line.strip() == "import os" and not keep_os):
            continue
        seed = SEED_LINE.match(line)
        shown.append(f"RANDOM_SEED = {seed.group(1)}  # the sampler's seed" if seed else line)
    return "\n".join(shown)


def uses_os_otherwise(sources: list[str]) -> bool:
    """Whether any line of a page's code uses ``os`` other than in the seed line."""
    return any(
        re.search(r"\bos\.", line) and not SEED_LINE.match(line) for source in sources for line in source.split("\n")
    )


class HidePlumbing(SphinxTransform):
    """Leave the build's plumbing out of every shown code cell of a page."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        """Rewrite the literal block of each shown cell's input."""
        blocks = [
            block
            for cell_input in self.document.findall(nodes.container)
            if cell_input.get("nb_element") == "cell_code_source"
            for block in cell_input.findall(nodes.literal_block)
        ]
        keep_os = uses_os_otherwise([block.astext() for block in blocks])
        for block in blocks:
            text = block.astext()
            shown = shown_code(text, keep_os)
            if shown != text:
                block.children = [nodes.Text(shown)]
                block.rawsource = shown


def setup(app):
    """Register the transform."""
    app.add_transform(HidePlumbing)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
