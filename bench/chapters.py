"""Each chapter's execution time, with cold compile caches and warm, one chapter at a time.

    .venv/bin/python bench/chapters.py [--warm 2] [--chapters 04 14]   # writes bench/chapters.csv

For every chapter of the book (or those named), in the order of the table of contents:

- **cold**: the chapter in a fresh kernel whose PyTensor cache folder (``base_compiledir``, where
  PyTensor keeps its compiled C and numba code and hlmkit keeps nutpie's wrappers) is a new, empty
  temporary folder: what a student's first run, or CI on a fresh machine, waits for;
- **warm**: the chapter again ``--warm`` times, in fresh kernels, with that folder as the first run
  left it: a chapter run again, a seed sweep, ``make test`` on a machine that has built the book.

Each run is executed exactly as the build executes a chapter (``scripts/execute_chapters.py``:
the notebook myst-nb reads from the page, in the chapter's folder, errors not allowed); its time is
nbclient's, kernel start included. Chapters run one at a time, so that no neighbour slows them: run
it on a quiet machine. Each row records the 1-minute load average when the run started, the
machine and its CPU as numba sees it. ``--summarise`` prints the table of medians in
bench/README.md from the CSV.

``--own-cache`` skips the cold run and uses the machine's own PyTensor cache folder, whatever it
holds: to compare two versions of hlmkit on a machine whose cache both have filled (rows say
``own``). Every row is labelled with the commit measured (``--label`` to say otherwise).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from execute_chapters import execute, pages  # noqa: E402  (a script beside this one, not a package)

FIELDS = ["chapter", "cache", "run", "seconds", "load_1min", "machine", "cpu", "date", "label", "error"]


def default_label() -> str:
    """The commit measured, with ``+changes`` where hlmkit/ or chapters/ differ from it."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    changed = git("status", "--porcelain", "--", "hlmkit", "chapters")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+changes" if changed else "")


def machine() -> dict:
    """The machine a row was measured on: its CPU model and cores, and the CPU numba compiles for."""
    import llvmlite.binding as llvm

    model = platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "machine": f"{model}, {os.cpu_count()} cores, {platform.system()}",
        "cpu": os.environ.get("NUMBA_CPU_NAME") or llvm.get_host_cpu_name(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def run(chapters: list[str], warm: int, out: Path, own_cache: bool = False, label: str = "") -> None:
    """Time each chapter cold once and warm ``warm`` times; append the rows to ``out``."""
    where = machine() | {"label": label or default_label()}
    new = not out.exists()
    with out.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        for path in pages():
            if chapters and not any(path.stem.startswith(c) for c in chapters):
                continue
            folder = tempfile.mkdtemp(prefix="bench-compiledir-")
            if not own_cache:
                os.environ["PYTENSOR_FLAGS"] = f"base_compiledir={folder}"  # the kernel inherits it
            runs = [("own", k) for k in range(1, warm + 1)] if own_cache else [("cold", 0)] + [
                ("warm", k) for k in range(1, warm + 1)]
            try:
                for kind, number in runs:
                    load = os.getloadavg()[0]
                    _, _, seconds, error = execute(path, timeout=600)
                    row = {"chapter": path.stem, "cache": kind, "run": number, "seconds": round(seconds, 2),
                           "load_1min": round(load, 2), **where, "error": error or ""}
                    writer.writerow(row)
                    handle.flush()
                    note = f"  {error}" if error else ""
                    print(f"{path.stem:24s} {kind} {seconds:6.1f} s  (load {load:.2f}){note}", flush=True)
            finally:
                os.environ.pop("PYTENSOR_FLAGS", None)
                shutil.rmtree(folder, ignore_errors=True)


def summarise(out: Path) -> str:
    """The Markdown table of bench/README.md: median seconds per chapter, cold and warm."""
    rows = [r for r in csv.DictReader(out.open()) if not r["error"]]
    chapters = list(dict.fromkeys(r["chapter"] for r in rows))
    kinds = list(dict.fromkeys((r["cache"], r["label"]) for r in rows))
    lines = ["| chapter | " + " | ".join(f"{k} s, {label}" for k, label in kinds) + " | runs |",
             "|---|" + "---|" * len(kinds) + "---|"]
    medians: dict[tuple[str, str], list[float]] = {k: [] for k in kinds}
    for chapter in chapters:
        cells = []
        for kind in kinds:
            values = [float(r["seconds"]) for r in rows if r["chapter"] == chapter and (r["cache"], r["label"]) == kind]
            value = statistics.median(values) if values else float("nan")
            medians[kind].append(value)
            cells.append(f"{value:.1f}")
        count = sum(r["chapter"] == chapter for r in rows)
        lines.append(f"| {chapter} | " + " | ".join(cells) + f" | {count} |")
    lines.append("| **median of chapters** | " + " | ".join(
        f"**{statistics.median(medians[k]):.1f}**" for k in kinds) + " | |")
    loads = [float(r["load_1min"]) for r in rows]
    first = rows[0]
    lines.append("")
    lines.append(f"{first['machine']} ({first['cpu']}), {first['date']}; load average at the runs' starts "
                 f"{min(loads):.1f} to {max(loads):.1f}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=2, help="warm runs of each chapter (default 2)")
    parser.add_argument("--chapters", nargs="*", default=[], help="chapter number prefixes, e.g. 04 14 (default all)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "chapters.csv")
    parser.add_argument("--summarise", action="store_true", help="only print the table of an existing --out CSV")
    parser.add_argument("--own-cache", action="store_true", help="no cold run; the machine's own PyTensor cache")
    parser.add_argument("--label", default="", help="what was measured (default: the commit, +changes if edited)")
    args = parser.parse_args()
    if args.warm < 0:
        parser.error(f"--warm must be 0 or more, got {args.warm}")
    if not args.summarise:
        os.environ.setdefault("HLMKIT_PROGRESSBAR", "0")
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        run(args.chapters, args.warm, args.out, args.own_cache, args.label)
    print(summarise(args.out))


if __name__ == "__main__":
    main()
