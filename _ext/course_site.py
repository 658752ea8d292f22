"""The course site: the book without its solutions, for a term in which students work the exercises.

``make course-site`` builds the website with ``BOOK_COURSE_SITE=1`` into ``_build/course``. Then
this extension removes every solution from the pages: a ``{solution}`` and everything between a
``{solution-start}`` and its ``{solution-end}`` (text, code and the code's output), before
sphinx-exercise merges the gated ones. sphinx-exercise's own ``hide_solutions`` cannot be used
here: it drops the ``{solution-start}`` marker only, and the build then fails on the lone
``{solution-end}`` (NotImplementedError: unknown node type solution_end_node, sphinx-exercise 1.2.1).
The pages' sources (``_sources/``) and the notebook download, which hold the solutions, are left
out too. Without the variable, the extension changes nothing.
"""

import os
from pathlib import Path

from sphinx.transforms import SphinxTransform
from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

ROOT = Path(__file__).resolve().parent.parent


class RemoveSolutions(SphinxTransform):
    """Remove the solutions from a page (course site only)."""

    default_priority = 5  # after sphinx-exercise checks the gated structure (1), before it merges it (10)

    def apply(self, **kwargs) -> None:
        """Remove plain and gated solutions, when building the course site."""
        if not self.config.course_site:
            return
        for node in list(self.document.findall(solution_node)):
            node.parent.remove(node)
        for start in list(self.document.findall(solution_start_node)):
            parent = start.parent
            index = parent.index(start)
            while index < len(parent.children):  # the start marker, what follows it, and the end marker
                child = parent.children[index]
                parent.remove(child)
                if isinstance(child, solution_end_node):
                    break


def _course_config(app, config) -> None:
    if not config.course_site:
        return
    config.html_copy_source = False  # _sources/ would hold each chapter's solutions
    if "use_download_button" in config.html_theme_options:  # Jupyter Book's theme: no notebook download
        config.html_theme_options = {**config.html_theme_options, "use_download_button": False}
    # The chapters run once, into the book's execution cache (make book, make course-site): reuse it.
    config.nb_execution_cache_path = str(ROOT / "_build" / ".jupyter_cache")


def setup(app):
    """Register the setting, the transform and the course site's configuration."""
    app.add_config_value("course_site", os.environ.get("BOOK_COURSE_SITE") == "1", "env")
    app.add_transform(RemoveSolutions)
    app.connect("config-inited", _course_config)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
