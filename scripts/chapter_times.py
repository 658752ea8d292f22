"""Reading and running time per chapter, for the course plans in instructor.md.

    python scripts/chapter_times.py

Words are counted in the prose of each chapter (code cells and directives' options left out) and
read at 150 words a minute, a pace for technical text with equations; running time is the median
over the seed sweep's runs of the chapter's current code (bench/seeds.csv: whole chapter,
solutions included, on the 2-core machine of the sweep). Prints a Markdown table.
"""

import csv
import re
import statistics
from pathlib import Path

from seeds import code_hash  # the same key as the sweep's record (scripts/ is on the path)

ROOT = Path(__file__).resolve().parent.parent
WORDS_PER_MINUTE = 150


def prose_words(text: str) -> int:
    """Count the words outside code cells, code blocks and directive options."""
    text = re.sub(r"^```\{code-cell\}.*?^```", "", text, flags=re.S | re.M)
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    text = re.sub(r"^---\n.*?\n---\n", "", text, count=1, flags=re.S)
    text = re.sub(r"^:\w[\w-]*:.*$", "", text, flags=re.M)
    return len(re.findall(r"[A-Za-z][A-Za-z'-]*", text))


def main() -> None:
    """Print the table."""
    rows = list(csv.DictReader((ROOT / "bench" / "seeds.csv").open()))
    print("| chapter | exercises | of them Model | words | reading, min | running, s (median) |")
    print("|---|---|---|---|---|---|")
    for path in sorted((ROOT / "chapters").glob("*.md")):
        text = path.read_text()
        digest = code_hash(path)
        seconds = [float(r["seconds"]) for r in rows if r["chapter"] == path.stem and r["code_sha256"] == digest]
        words = prose_words(text)
        running = f"{statistics.median(seconds):.0f}" if seconds else "not swept"
        exercises = text.count("```{exercise}")
        models = text.count("```{exercise} Model")
        print(f"| {path.stem} | {exercises} | {models} | {words:,} | {round(words / WORDS_PER_MINUTE)} | {running} |")


if __name__ == "__main__":
    main()
