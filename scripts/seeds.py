"""The seed sweep: every chapter's claims must hold for any seed and any CPU, not for one draw sequence.

    python scripts/seeds.py run [--chapters 04 12] [--seeds 20] [--generic 3] [--jobs 2]
    python scripts/seeds.py check [--required 20]

``run`` executes each chapter (the full page, solutions included, as the book build does) with
the environment variable ``BOOK_SEED`` set to each seed in 1..N; every chapter reads its
``RANDOM_SEED`` from it (default: the book's seed). The first ``--generic`` seeds run a second
time with ``NUMBA_CPU_NAME=generic``, so the sampler's compiled code is generated for a generic
x86-64 CPU: a stand-in for a student's laptop with another processor. Each run appends or
replaces one row of ``bench/seeds.csv``:

    chapter, code_sha256, source_sha256, seed, cpu, passed, seconds, error

``check`` reads that file and fails when a chapter's *current* code has a recorded failure, or
fewer than ``--required`` distinct passing seeds. A run is keyed by ``code_sha256``, the hash of
what the kernel executes: the front matter (kernel) and every ``{code-cell}`` with its options
and tags, in order (:func:`code_hash`). Prose between the cells is not executed, so an edit to it
cannot change what a seed does and needs no new sweep; any edit to a cell does.
``source_sha256`` (the whole file) is kept for the record's history.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
RESULTS = ROOT / "bench" / "seeds.csv"
COLUMNS = ["chapter", "code_sha256", "source_sha256", "seed", "cpu", "passed", "seconds", "error"]
CELL_TIMEOUT = 600


def chapter_paths(selection: list[str] | None) -> list[Path]:
    paths = sorted(CHAPTERS.glob("[0-9][0-9]_*.md"))
    if not selection:
        return paths
    chosen = [p for p in paths if any(p.stem.startswith(s) or p.stem == s for s in selection)]
    unknown = [s for s in selection if not any(p.stem.startswith(s) for p in paths)]
    if unknown:
        sys.exit(f"No chapter matches {unknown}; chapters are {[p.stem for p in paths]}")
    return chosen


def source_hash(path: Path) -> str:
    """The sha256 of the whole chapter file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def executed_text(text: str) -> str:
    """What a kernel executes of a MyST notebook: its front matter and its code cells, in order.

    A code cell runs from a line opening with a fence of backticks and ``{code-cell}`` to the
    next line that is the same fence alone; its options (``:tags:`` or a ``---`` block) are kept,
    because tags decide how a cell runs (``raises-exception``) and what the checks see.
    """
    lines = text.splitlines()
    kept: list[str] = []
    if lines and lines[0] == "---":
        end = lines.index("---", 1) if "---" in lines[1:] else 0
        kept += lines[: end + 1]
    fence = None
    for line in lines:
        if fence is None:
            opening = re.match(r"^(`{3,})\{code-cell\}", line)
            if opening:
                fence = opening.group(1)
                kept.append(line)
        else:
            kept.append(line)
            if line.rstrip() == fence:
                fence = None
    return "\n".join(kept) + "\n"


def code_hash(path: Path) -> str:
    """The sha256 of what the kernel executes of a chapter (:func:`executed_text`)."""
    return hashlib.sha256(executed_text(path.read_text()).encode()).hexdigest()


def host_cpu() -> str:
    """The CPU name numba generates code for on this machine (what NUMBA_CPU_NAME overrides)."""
    import llvmlite.binding as llvm

    return str(llvm.get_host_cpu_name())


def run_one(path: Path, seed: int) -> dict:
    """Execute one chapter in a fresh kernel (this process's environment) and report how it went."""
    import jupytext
    from execute_chapters import KERNEL_ARGUMENTS, ipc_kernel_manager, shut_down  # as the build starts it
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    notebook = jupytext.read(path)
    start = time.perf_counter()
    error = ""
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory(prefix="bs-kernel-") as sockets:
        km = ipc_kernel_manager(sockets)
        client = NotebookClient(
            notebook, km=km, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": folder}},
            extra_arguments=KERNEL_ARGUMENTS,
        )
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError) as exc:
            error = _first_error(notebook) or str(exc).strip().splitlines()[-1]
        except Exception as exc:  # a dead kernel is a failed run too, with its reason
            error = f"{type(exc).__name__}: {exc}"
        finally:
            shut_down(km)
    error = error or unformattable_glue(notebook)
    return {"passed": not error, "seconds": round(time.perf_counter() - start, 1), "error": error[:300]}


def unformattable_glue(notebook) -> str:
    """A glued value the book cannot format: its text is a NumPy scalar's repr, e.g. ``np.float64(0.94)``.

    myst-nb formats ``{glue:text}`name:.2f``` by reading the value back from its text with
    ``ast.literal_eval``; NumPy 2 writes ``np.float64(0.94)``, which it cannot read, so the strict
    build fails on a chapter that ran without error. Glue ``float(x)`` or ``int(x)`` instead.
    """
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            # glue stores its text under a prefixed MIME type (application/papermill.record/text/plain)
            text = next((v for k, v in output.get("data", {}).items() if k.endswith("text/plain")), "")
            if name and re.match(r"np\.\w+\(", str(text)):
                return (f"cell {number}: glue({name!r}) holds {str(text)[:40]}, which the book cannot format: "
                        "glue float(...) or int(...)")
    return ""


def _first_error(notebook) -> str:
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                # The traceback marks the failing line with an arrow ("---->"), amid ANSI colour codes.
                plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in output.get("traceback", [])]
                marked = [line for block in plain for line in block.splitlines() if "---->" in line]
                where = marked[-1].split("---->", 1)[1].strip() if marked else ""
                where = re.sub(r"^\d+\s*", "", where)
                return f"cell {number}: {output['ename']}: {output['evalue']} [{where[:120]}]"
    return ""


def _subprocess_run(path: Path, seed: int, cpu: str) -> dict:
    env = dict(os.environ, BOOK_SEED=str(seed), HLMKIT_PROGRESSBAR="0")
    if cpu == "generic":
        env["NUMBA_CPU_NAME"] = "generic"
    else:
        env.pop("NUMBA_CPU_NAME", None)
    out = subprocess.run(
        [sys.executable, __file__, "_one", str(path), str(seed)], env=env, capture_output=True, text=True
    )
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"passed": False, "seconds": 0.0, "error": f"runner failed: {out.stderr.strip()[-300:]}"}


def read_rows() -> list[dict]:
    if not RESULTS.exists():
        return []
    with RESULTS.open(newline="") as handle:
        return list(csv.DictReader(handle))


@contextlib.contextmanager
def _locked():
    """Hold an exclusive lock on the record while reading and rewriting it."""
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_rows(rows: list[dict]) -> None:
    rows = sorted(
        rows, key=lambda r: (r["chapter"], r["cpu"] == "generic", r["cpu"], int(r["seed"]), r["code_sha256"])
    )
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def command_run(args: argparse.Namespace) -> int:
    paths = chapter_paths(args.chapters)
    host = host_cpu()
    seeds = list(range(args.first, args.first + args.seeds))
    # Seed-major order: every chapter gets its first seeds (and its generic-CPU runs) early, so a
    # failing chapter shows up in the first minutes of a long sweep, not at its end.
    generic = set(seeds[: args.generic])
    jobs = [(p, s, c) for s in seeds for p in paths for c in [host] + (["generic"] if s in generic else [])]
    hashes = {p: code_hash(p) for p in paths}
    sources = {p: source_hash(p) for p in paths}
    done = {(r["chapter"], r["code_sha256"], r["seed"], r["cpu"]) for r in read_rows() if r["passed"] == "True"}
    if args.skip_passed:
        jobs = [(p, s, c) for p, s, c in jobs if (p.stem, hashes[p], str(s), c) not in done]
    print(f"Seed sweep: {len(jobs)} runs ({len(paths)} chapters), {args.jobs} at a time; host CPU {host}", flush=True)
    start = time.perf_counter()
    failures = 0

    def work(job):
        path, seed, cpu = job
        return job, _subprocess_run(path, seed, cpu)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(work, job) for job in jobs]
        for future in as_completed(futures):
            (path, seed, cpu), result = future.result()
            if code_hash(path) != hashes[path]:
                print(f"  {path.stem} changed during the sweep: its result for seed {seed} is not recorded")
                continue
            row = {
                "chapter": path.stem,
                "code_sha256": hashes[path],
                "source_sha256": sources[path],
                "seed": str(seed),
                "cpu": cpu,
                "passed": str(result["passed"]),
                "seconds": str(result["seconds"]),
                "error": result["error"],
            }
            with _locked():  # two sweeps (e.g. of different chapters) may record at the same time
                rows = [
                    r
                    for r in read_rows()
                    if (r["chapter"], r["code_sha256"], r["seed"], r["cpu"])
                    != (row["chapter"], row["code_sha256"], row["seed"], row["cpu"])
                ]
                write_rows(rows + [row])
            failures += not result["passed"]
            mark = "ok  " if result["passed"] else "FAIL"
            print(
                f"  {mark} {path.stem} seed {seed:>3} {cpu:<10} {result['seconds']:>6.1f} s {result['error']}",
                flush=True,
            )
    print(
        f"Sweep done in {time.perf_counter() - start:.0f} s: {failures} failure(s). "
        f"Results in {RESULTS.relative_to(ROOT)}"
    )
    return 1 if failures else 0


def command_check(args: argparse.Namespace) -> int:
    rows = read_rows()
    problems = []
    lines = []
    for path in chapter_paths(None):
        digest = code_hash(path)
        current = [r for r in rows if r["chapter"] == path.stem and r["code_sha256"] == digest]
        failed = sorted({(r["seed"], r["cpu"]) for r in current if r["passed"] != "True"})
        passed = {r["seed"] for r in current if r["passed"] == "True"}
        generic = {r["seed"] for r in current if r["passed"] == "True" and r["cpu"] == "generic"}
        lines.append(
            f"  {path.stem:<28} {len(passed):>3} passing seeds ({len(generic)} on a generic CPU), {len(failed)} failing"
        )
        if failed:
            problems.append(f"{path.stem}: failed for (seed, cpu) {failed}")
        if len(passed) < args.required:
            problems.append(f"{path.stem}: {len(passed)} passing seeds for its current source, {args.required} needed")
    print(f"Seed sweep record ({RESULTS.relative_to(ROOT)}), current chapter sources:")
    print("\n".join(lines))
    if problems:
        print("\nThe seed sweep does not cover the current chapters:\n  " + "\n  ".join(problems))
        print("Run `make seeds` (or `make seeds CHAPTERS=04`) after changing a chapter, and fix what fails.")
        return 1
    return 0


def command_summary(args: argparse.Namespace) -> int:
    """Print the record as Markdown: current sources per chapter, then every failure ever recorded."""
    rows = read_rows()
    print("| chapter | seeds passing | of them also on a generic CPU | failing runs | median s | slowest s |")
    print("|---|---|---|---|---|---|")
    for path in chapter_paths(None):
        digest = code_hash(path)
        current = [r for r in rows if r["chapter"] == path.stem and r["code_sha256"] == digest]
        passed = {r["seed"] for r in current if r["passed"] == "True"}
        generic = {r["seed"] for r in current if r["passed"] == "True" and r["cpu"] == "generic"}
        failing = sum(r["passed"] != "True" for r in current)
        seconds = sorted(float(r["seconds"]) for r in current) or [float("nan")]
        median = seconds[len(seconds) // 2] if len(seconds) % 2 else sum(seconds[len(seconds) // 2 - 1 :][:2]) / 2
        print(f"| {path.stem} | {len(passed)} | {len(generic)} | {failing} | {median:.0f} | {seconds[-1]:.0f} |")
    failures = [r for r in rows if r["passed"] != "True"]
    if failures:
        print("\nFailures recorded (for the chapter source of the time; each led to a fix):\n")
        print("| chapter | seed | cpu | error |")
        print("|---|---|---|---|")
        for r in failures:
            error = r["error"].replace("|", "/")
            print(f"| {r['chapter']} | {r['seed']} | {r['cpu']} | {error[:160]} |")
    return 0


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "_one":
        print(json.dumps(run_one(Path(sys.argv[2]), int(sys.argv[3]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute chapters over seeds and record the results")
    run.add_argument("--chapters", nargs="*", help="chapter numbers or names (default: all)")
    run.add_argument("--seeds", type=int, default=20, help="number of seeds (default 20)")
    run.add_argument("--first", type=int, default=1, help="first seed (default 1)")
    run.add_argument("--generic", type=int, default=3, help="seeds also run on a generic CPU (default 3)")
    run.add_argument("--jobs", type=int, default=2, help="chapters run at once (default 2)")
    run.add_argument("--skip-passed", action="store_true", help="skip runs already recorded as passing")
    check = sub.add_parser("check", help="fail unless every current chapter source has enough passing seeds")
    check.add_argument("--required", type=int, default=20)
    sub.add_parser("summary", help="print the record as Markdown tables (for bench/README.md)")
    args = parser.parse_args()
    commands = {"run": command_run, "check": command_check, "summary": command_summary}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
