"""Author-year labels for the reference lists, to match the author-year citations in the text.

sphinxcontrib-bibtex cites in the text as "Gelman and Hill [2007]" (``bibtex_reference_style:
author_year``), but its list styles label entries alphabetically ("[GH07]", "[BMachlerBW15]"), so a
reader could not match a citation with its entry. This extension registers the pybtex style
``authoryear``: the ``plain`` style (entries sorted by author, year and title) with labels
"Gelman and Hill, 2007", "Gelman et al., 2013"; a label shared by two entries gets a, b, ...
"""

from collections import Counter

from pybtex.backends.plaintext import Backend as PlainTextBackend
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


# The plain-text backend, made once. ``render_as("text")`` looks the backend up among the installed
# packages' entry points on every call: several seconds of every build, even when nothing changed.
_PLAIN_TEXT = PlainTextBackend()


def _last_name(person) -> str:
    """A person's last name as plain text (``M{\\"a}chler`` becomes ``Mächler``)."""
    return Text.from_latex(" ".join(person.last_names)).render(_PLAIN_TEXT)


def _names(entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_name(p) for p in people]
    if not names:
        return entry.fields.get("organization") or entry.fields.get("title", entry.key).split(":")[0]
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels "Author, year", "Author and Other, year" or "Author et al., year"."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [f"{_names(e)}, {e.fields.get('year', 'n.d.')}" for e in entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    """The plain style with author-year labels."""

    default_label_style = "authoryear"


def setup(app):
    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
