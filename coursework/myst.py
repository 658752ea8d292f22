r"""Plain Markdown for hand-outs: the book's MyST roles and directives, as Jupyter renders them.

A chapter is MyST Markdown: cross-references (``{ref}``, ``{numref}``), citations (``{cite:p}``,
``{cite:t}``), glossary terms (``{term}``), glued numbers (``{glue:text}``), admonitions
(``:::{admonition}``) and a ``{bibliography}``. JupyterLab, VS Code and Colab render none of them,
so a student notebook would show them raw. :func:`plain_markdown` rewrites them:

- a cross-reference to a chapter becomes its title and number, e.g. *Complete pooling: one
  regression for the region* (chapter 2); to a figure, the first sentence of its caption;
- a citation becomes author and year, e.g. (Gelman and Hill 2007) or Gelman and Hill (2007);
- a glossary term becomes its text;
- a glued number becomes its name in code font, ``cp_alpha``: the notebook computes it when run
  (the cell that calls ``glue("cp_alpha", ...)``), and the book's website shows it;
- an admonition becomes a block quote with its title in bold, except one with the class
  ``instructor-only`` (a rubric), which stays on the website and is left out;
- the bibliography becomes the list of works the chapter cites.

The titles, captions and references come from the repository the chapter sits in (its
``chapters/``, back matter and ``references.bib``); what cannot be found is written as its label.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

#: Where the book's sources are found when a chapter comes from elsewhere (a release folder).
REPOSITORY = Path(__file__).resolve().parent.parent

#: The note put at the top of every hand-out that shows glued numbers by name.
GLUE_NOTE = (
    "*Numbers that the book's text computes are shown here by name, in code font (for example "
    "`{name}`). Run the notebook from the top: the cell that computes each one prints it, e.g. "
    "`{name} = ...` (with Jupyter Book installed it records it silently instead). The book's "
    "website shows them filled in.*"
)

_ROLE = re.compile(r"\{(ref|numref|cite:p|cite:t|cite|term|glue:text|glue:md|glue|doc|eq|math)\}`([^`]*)`")
_FENCE_OPEN = re.compile(r"^(:{3,}|`{3,})\{([\w-]+)\}\s*(.*)$")
_TARGET = re.compile(r"^\(([\w-]+)\)=\s*$")
#: An exercise directive and its label: a reference to the label reads "Exercise N (chapter C)".
_EXERCISE_LABEL = re.compile(r"^`{3,}\{exercise\}[^\n]*\n(?::[\w-]+:[^\n]*\n)*?:label: ([\w-]+)", re.M)


@dataclass
class Context:
    """What a conversion needs to know about the book."""

    titles: dict[str, str] = field(default_factory=dict)  # label -> "*Title* (chapter N)"
    figures: dict[str, str] = field(default_factory=dict)  # figure name -> first sentence of its caption
    citations: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # key -> (authors, year, entry)


_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303"}


def _strip_tex(text: str) -> str:
    r"""Return plain text from BibTeX: accents become letters (``L{\"u}dtke`` -> Lüdtke), braces go."""
    text = re.sub(r"\\([\"'`^~])\{?(\w)\}?", lambda m: m.group(2) + _ACCENTS[m.group(1)], text)
    return unicodedata.normalize("NFC", re.sub(r"[{}]", "", text)).strip()


def _bib_entries(path: Path) -> dict[str, tuple[str, str, str]]:
    """Key -> (authors for a citation, year, one-line reference) from a BibTeX file."""
    if not path.exists():
        return {}
    entries: dict[str, tuple[str, str, str]] = {}
    for match in re.finditer(r"@\w+\{([^,\s]+),(.*?)\n\}", path.read_text(encoding="utf-8"), flags=re.S):
        key, body = match.group(1), match.group(2)
        fields = {
            name.lower(): value
            for name, value in re.findall(r"(\w+)\s*=\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}", body)
        }
        people = [_strip_tex(person) for person in re.split(r"\s+and\s+", fields.get("author", ""))]
        surnames = [
            person.split(",")[0].strip() if "," in person else person.split()[-1] for person in people if person
        ]
        if len(surnames) > 2:
            authors = f"{surnames[0]} et al."
        else:
            authors = " and ".join(surnames) or key
        year = _strip_tex(fields.get("year", "n.d."))
        title = _strip_tex(fields.get("title", ""))
        where = _strip_tex(fields.get("journal", "") or fields.get("booktitle", "") or fields.get("publisher", ""))
        full = "; ".join(_strip_tex(person) for person in people)
        entry = f"{full} ({year}). {title}." + (f" *{where}*." if where else "")
        entries[key] = (authors, year, entry)
    return entries


def caption_sentence(caption: str) -> str:
    """Return the first sentence of a figure caption, glued numbers shown by name."""
    caption = " ".join(caption.split())
    caption = re.sub(r"\{glue:\w+\}`([^`:]*)[^`]*`", r"`\1`", caption)
    first = re.split(r"(?<=[.!?])\s", caption, maxsplit=1)[0]
    return first.rstrip(".")


def book_context(root: Path = REPOSITORY) -> Context:
    """Read the labels, figure captions and references of the book in ``root`` (a fresh copy)."""
    cached = _read_book(root, _stamp(root))
    return Context(dict(cached.titles), dict(cached.figures), dict(cached.citations))


def _stamp(root: Path) -> tuple:
    """When each source last changed: a new stamp makes :func:`_read_book` read the book again."""
    paths = [root / "references.bib", *sorted((root / "chapters").glob("*.md"))]
    paths += [*sorted((root / "backmatter").glob("*.md")), root / "intro.md", root / "instructor.md"]
    return tuple((str(path), path.stat().st_mtime_ns) for path in paths if path.exists())


@functools.lru_cache(maxsize=4)
def _read_book(root: Path, stamp: tuple) -> Context:
    context = Context(citations=_bib_entries(root / "references.bib"))
    pages = sorted((root / "chapters").glob("*.md")) + sorted((root / "backmatter").glob("*.md"))
    pages += [root / name for name in ("intro.md", "instructor.md")]
    for page in pages:
        if not page.exists():
            continue
        lines = page.read_text(encoding="utf-8").splitlines()
        number = re.match(r"(\d+)_", page.stem)
        where = f" (chapter {int(number.group(1))})" if number else ""
        for k, line in enumerate(lines[:-1]):
            target = _TARGET.match(line)
            if target and lines[k + 1].startswith("#"):
                context.titles[target.group(1)] = f"*{lines[k + 1].lstrip('#').strip()}*{where}"
        text = "\n".join(lines)
        context.figures.update(_figures(text))
        for k, label in enumerate(_EXERCISE_LABEL.findall(text), start=1):  # numbered as the hand-out numbers them
            context.titles[label] = f"Exercise {k}{where}"
    return context


def _figures(text: str) -> dict[str, str]:
    return {
        name: caption_sentence(caption)
        for caption, name in re.findall(r"caption: \|\n((?:      .*\n)+)    name: ([\w-]+)", text)
    }


def _cite(keys: str, context: Context, textual: bool) -> str:
    parts = []
    for key in (k.strip() for k in keys.split(",")):
        authors, year, _ = context.citations.get(key, (key, "", ""))
        parts.append(f"{authors} ({year})" if textual and year else f"{authors} {year}".strip())
    return "; ".join(parts) if textual else f"({'; '.join(parts)})"


def _role(match: re.Match, context: Context, cited: list[str], glued: list[str]) -> str:
    role, content = match.group(1), match.group(2)
    explicit = re.match(r"^(.*?)\s*<([^>]+)>$", content, flags=re.S)
    text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
    if role in ("cite:p", "cite:t", "cite"):
        cited.extend(k.strip() for k in target.split(","))
        return _cite(target, context, textual=role == "cite:t")
    if role == "ref":
        return text or context.titles.get(target, f"*{target}*")
    if role == "numref":
        sentence = context.figures.get(target)
        return text or (f"the figure “{sentence}”" if sentence else f"*{target}*")
    if role == "term":
        return text or target
    if role.startswith("glue"):
        name = target.split(":")[0]
        glued.append(name)
        return f"`{name}`"
    return text or target


def plain_markdown(text: str, context: Context | None = None, *, chapter_text: str = "") -> tuple[str, list[str]]:
    """Rewrite MyST roles and directives as plain Markdown.

    Parameters
    ----------
    text : str
        Markdown of one cell (MyST).
    context : Context, optional
        Titles, captions and references of the book (default: :func:`book_context`).
    chapter_text : str
        The whole chapter's source, for the captions of its own figures.

    Returns
    -------
    tuple of (str, list of str)
        The plain Markdown, and the names of the glued numbers it shows by name.

    Examples
    --------
    >>> from coursework.myst import Context, plain_markdown
    >>> context = Context(titles={"ch-why": "*Why hierarchical models?* (chapter 1)"},
    ...                   citations={"gelman2007data": ("Gelman and Hill", "2007", "")})
    >>> plain_markdown("See {ref}`ch-why` and {cite:t}`gelman2007data`: {glue:text}`n_schools` schools.",
    ...                context)[0]
    'See *Why hierarchical models?* (chapter 1) and Gelman and Hill (2007): `n_schools` schools.'
    """
    context = book_context() if context is None else context
    if chapter_text and "caption: |" in chapter_text:
        context = Context(context.titles, {**context.figures, **_figures(chapter_text)}, context.citations)
    cited: list[str] = []
    glued: list[str] = []
    out: list[str] = []
    quote: str | None = None  # the fence that closes the admonition being quoted
    quote_start = 0  # where the quoted admonition begins in `out`
    dropped = False  # the admonition being read is for instructors only: left out
    skip: str | None = None  # the fence that closes a directive dropped (bibliography)
    for line in text.split("\n"):
        if skip is not None:
            if line.strip() == skip:
                skip = None
                out.append("__BIBLIOGRAPHY__")
            continue
        opened = _FENCE_OPEN.match(line.strip())
        if opened and quote is None:
            fence, name, title = opened.groups()
            if name == "bibliography":
                skip = fence
                continue
            if name in ("admonition", "note", "tip", "warning", "important", "seealso", "hint"):
                quote, quote_start, dropped = fence, len(out), False
                heading = title.strip() or name.capitalize()
                out.append(f"> **{heading}**")
                out.append(">")
                continue
        if quote is not None:
            if line.strip() == quote:
                quote = None
                continue
            if re.match(r"^:class:.*\binstructor-only\b", line.strip()):
                del out[quote_start:]  # for instructors (a rubric): on the website, not in the hand-out
                dropped = True
                continue
            if dropped or re.match(r"^:[\w-]+:", line.strip()):
                continue  # the admonition's options (:class: tip), or an admonition left out
            out.append(f"> {line}".rstrip())
            continue
        if _TARGET.match(line):
            continue
        out.append(line)
    converted = re.sub(r"^>\n(>\n)+", ">\n", "\n".join(out), flags=re.M)
    converted = _ROLE.sub(lambda m: _role(m, context, cited, glued), converted)
    if "__BIBLIOGRAPHY__" in converted:
        keys = list(dict.fromkeys(re.findall(r"\{cite:?\w*\}`([^`]*)`", chapter_text or text)))
        keys = list(dict.fromkeys(k.strip() for group in keys for k in group.split(",")))
        listed = sorted(
            (context.citations[k][2] for k in keys if k in context.citations), key=lambda entry: entry.lower()
        )
        converted = converted.replace("__BIBLIOGRAPHY__", "\n".join(f"- {entry}" for entry in listed))
    return converted, glued
