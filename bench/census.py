"""A census-scale run: the three-level model of chapter 13 on 10^8 pupils read from Parquet files.

A national K-12 population is about 5 x 10^7 pupils; this uses 10^8 for margin. Two steps, each
in its own process, so that the fit is timed as a reader would wait for it:

    python bench/census.py write --folder /tmp/census            # the pupils, in Parquet files
    python bench/census.py fit --folder /tmp/census              # one fit, timed: prints a JSON row
    python bench/census.py run --folder /tmp/census --repeats 3  # write if needed, fit N times,
                                                                 # append the rows to bench/census.csv

``write`` simulates the pupils school by school, one chunk of schools at a time, and writes each
chunk as a Parquet file, so the pupils never sit in memory at once: 50 states, 60 counties per
state, 100,000 schools, school sizes from a lognormal scaled to the number of pupils. Scores
follow the book's three-level model (chapter 8) with grade and SES as pupil-level predictors.

``fit`` is the whole pipeline in a fresh process: import, the per-school sufficient statistics by
DuckDB over the files (out of core), the three-level model with the school intercepts integrated
out (``hlmkit.marginal_model``), full NUTS by ``hlmkit.sample`` (nutpie, 4 chains), and the book's
convergence check. It records the whole process time, the time of each step, the peak memory of
the process (``ru_maxrss``: DuckDB, the model and the sampler run in it) and the size of the data
on disk. Run it on a quiet machine; each row records the load average when it started, and the
``batch`` it belongs to (when its ``run`` command started), so that chapter 13 quotes the rows of
one run: one machine and one version of the code.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

START = time.perf_counter()  # the fit's clock starts with the process, before its imports

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "census.csv"
LEVELS = ["state", "county", "school"]
PREDICTORS = ["grade_c", "ses"]
TRUTH = {"mu": 500.0, "tau_state": 5.0, "tau_county": 4.0, "tau_school": 8.0, "beta_grade": 12.0,
         "beta_ses": 15.0, "sigma": 40.0}
COLUMNS = ["batch", "date", "machine", "cpu", "load_1min", "pupils", "schools", "school_sizes", "counties", "states",
           "files", "disk_mb", "statistics_s", "model_s", "sampling_s", "fit_s", "process_s", "peak_rss_mb",
           "max_r_hat", "min_ess_bulk", "divergences", "chains", "draws", "gradients", "sampler", "seed"]


def write(folder: Path, pupils: int, schools: int, states: int, counties_per_state: int, chunk: int,
          seed: int) -> dict:
    """Simulate the pupils and write them as Parquet files of about ``chunk`` pupils each."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    counties = states * counties_per_state
    county_of_school = np.sort(rng.integers(0, counties, size=schools)).astype(np.int32)
    state_of_county = (np.arange(counties) // counties_per_state).astype(np.int16)
    # School sizes: lognormal (a few large schools, many small), scaled to the number of pupils.
    weights = rng.lognormal(0.0, 0.6, size=schools)
    sizes = np.maximum(1, np.floor(weights / weights.sum() * pupils)).astype(np.int64)
    sizes[: pupils - int(sizes.sum())] += 1 if pupils > sizes.sum() else 0
    effect = (TRUTH["mu"] + rng.normal(0, TRUTH["tau_state"], states)[state_of_county[county_of_school]]
              + rng.normal(0, TRUTH["tau_county"], counties)[county_of_school]
              + rng.normal(0, TRUTH["tau_school"], schools))
    start, files, first = time.perf_counter(), 0, 0
    while first < schools:
        last = int(np.searchsorted(np.cumsum(sizes[first:]), chunk)) + first + 1
        last = min(max(last, first + 1), schools)
        school = np.repeat(np.arange(first, last, dtype=np.int32), sizes[first:last])
        n = len(school)
        grade_c = rng.integers(-2, 3, size=n).astype(np.int8)
        ses = rng.normal(0.0, 1.0, size=n).astype(np.float32)
        literacy = (effect[school] + TRUTH["beta_grade"] * grade_c + TRUTH["beta_ses"] * ses
                    + rng.normal(0.0, TRUTH["sigma"], size=n)).astype(np.float32)
        county = county_of_school[school]
        table = pa.table({"state": state_of_county[county], "county": county, "school": school,
                          "grade_c": grade_c, "ses": ses, "literacy": literacy})
        pq.write_table(table, folder / f"part-{files:04d}.parquet", compression="zstd")
        files += 1
        first = last
        del school, grade_c, ses, literacy, county, table
    return {"pupils": int(sizes.sum()), "schools": schools, "files": files,
            "disk_mb": round(disk_mb(folder), 1), "write_s": round(time.perf_counter() - start, 1)}


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.glob("part-*.parquet")) / 1e6


def fit(folder: Path, seed: int, sampler: str) -> dict:
    """The whole pipeline, timed from the start of this process."""
    from hlmkit import diagnose, marginal_model, sample, sufficient_statistics_parquet

    pattern = str(folder / "part-*.parquet")
    step = time.perf_counter()
    stats = sufficient_statistics_parquet(pattern, "literacy", LEVELS, PREDICTORS)
    statistics_s = time.perf_counter() - step
    step = time.perf_counter()
    model = marginal_model(stats, "literacy", LEVELS, PREDICTORS, parameterization="centered")
    model_s = time.perf_counter() - step
    step = time.perf_counter()
    # check=False: this row records the fit's diagnostics, and a bad fit is a result to record, not an error.
    idata = sample(model, seed=seed, sampler=sampler, progressbar=False, check=False)
    fit_s = time.perf_counter() - step
    diagnostics = diagnose(idata, ["mu", "tau", "sigma", "beta", "alpha_state", "alpha_county"], label="census")
    process_s = time.perf_counter() - START
    return {
        "pupils": int(stats["n"].sum()), "schools": len(stats), "school_sizes": int(stats["n"].nunique()),
        "counties": int(stats["county"].nunique()),
        "states": int(stats["state"].nunique()), "files": len(list(folder.glob("part-*.parquet"))),
        "disk_mb": round(disk_mb(folder), 1), "statistics_s": round(statistics_s, 2), "model_s": round(model_s, 2),
        "sampling_s": round(float(idata.posterior.attrs.get("sampling_time", float("nan"))), 2),
        "fit_s": round(fit_s, 2), "process_s": round(process_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "max_r_hat": round(float(diagnostics["max_r_hat"].iloc[0]), 4),
        "min_ess_bulk": int(diagnostics["min_ess_bulk"].iloc[0]),
        "divergences": int(diagnostics["divergences"].iloc[0]), "chains": int(idata.posterior.sizes["chain"]),
        "draws": int(idata.posterior.sizes["draw"]), "gradients": int(idata.sample_stats["n_steps"].sum()),
        "sampler": sampler, "seed": seed,
    }


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not list(folder.glob("part-*.parquet")) or args.rewrite:
        print(json.dumps(write(folder, int(args.pupils), args.schools, args.states, args.counties_per_state,
                               int(args.chunk), args.seed)), flush=True)
    rows = []
    # The batch names this run's rows: one machine, one version of the code.
    batch = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    for repeat in range(args.repeats):
        load = os.getloadavg()[0]
        done = subprocess.run([sys.executable, __file__, "fit", "--folder", str(folder), "--seed", str(repeat + 1),
                              "--sampler", args.sampler], capture_output=True, text=True, env=dict(os.environ))
        if done.returncode:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row.update(batch=batch, date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"), machine=_machine(), cpu=_cpu(),
                   load_1min=round(load, 2))
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = Path(args.out)
    new = not out.exists()
    with out.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        if new:
            writer.writeheader()
        writer.writerows(rows)
    return 0


def _machine() -> str:
    """E.g. "a 2-core x86_64 machine (znver4) with 24 GiB"."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"a {os.cpu_count()}-core {platform.machine()} machine ({_cpu()}) with {memory:.0f} GiB"


def _cpu() -> str:
    try:
        import llvmlite.binding as llvm

        return str(llvm.get_host_cpu_name())
    except ImportError:
        return platform.processor() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("write", "fit", "run"):
        command = commands.add_parser(name)
        command.add_argument("--folder", default="/tmp/hlmkit-census")
        command.add_argument("--seed", type=int, default=1)
        command.add_argument("--sampler", default="nutpie", choices=["nutpie", "pymc"])
        command.add_argument("--pupils", type=float, default=1e8)
        command.add_argument("--schools", type=int, default=100_000)
        command.add_argument("--states", type=int, default=50)
        command.add_argument("--counties-per-state", type=int, default=60)
        command.add_argument("--chunk", type=float, default=1e7, help="pupils per Parquet file, about")
        command.add_argument("--repeats", type=int, default=3)
        command.add_argument("--rewrite", action="store_true")
        command.add_argument("--out", default=str(RESULTS), help="the CSV file the rows are appended to")
    args = parser.parse_args()
    if args.command == "write":
        print(json.dumps(write(Path(args.folder), int(args.pupils), args.schools, args.states,
                               args.counties_per_state, int(args.chunk), args.seed)))
        return 0
    if args.command == "fit":
        print(json.dumps(fit(Path(args.folder), args.seed, args.sampler)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
