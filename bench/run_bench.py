"""Benchmarks of the book's computations: samplers, likelihoods at scale, and statsmodels.

Run from the repository root (``make bench``)::

    .venv/bin/python bench/run_bench.py                 # everything, 3 repeats (about 25 minutes)
    .venv/bin/python bench/run_bench.py --repeats 1     # one of each (about 10 minutes)
    .venv/bin/python bench/run_bench.py --quick         # a smoke test on small data (about 2 minutes)

Every measurement is one fresh Python process (its wall time counts the interpreter start,
imports, data, compilation, sampling and diagnostics: what a reader running a chapter
waits for), and the cases run side by side, interleaved, ``--repeats`` times. Three suites:

``trilogy``
    The models of the pooling chapters, fitted with ``hlmkit.sample`` by nutpie (the book's
    default) and by PyMC's own NUTS: bulk ESS per second of sampling and of the whole
    process; compilation (``setup_s``: compile and initialise) is counted separately and
    included in the process time.
``scaling``
    The three-level national model (students in schools in counties in states) on
    10^4, 10^5 and 10^6 simulated students, with the student-level, the sufficient-statistic
    and the marginal likelihood (statistics computed by DuckDB from a Parquet file in a
    temporary folder). The student-level fit of 10^6 students runs ``--slow-repeats`` times
    (default once: about four minutes).
``mixedlm``
    The two-level random-intercept model on the same students: statsmodels MixedLM (REML)
    against the marginal model with nutpie, time and estimates.

Results go to ``bench/results.csv`` (one row per process, with the machine, the date and
the load average when it ran); the medians and ratios are printed and written into
``bench/README.md`` between its ``results`` markers.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 2024
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000,)
LEVELS = ["state", "county", "school"]
PREDICTORS = ["grade_c", "ses"]
#: The national region: 10 states x 10 counties x ~25 schools of up to 500 pupils (~10^6 students).
NATIONAL = {"n_states": 10, "counties_per_state": 10, "schools_per_county": 24, "median_school_size": 1000}
#: Rough scales for the rule of thumb that picks each level's parameterization, from the marginal
#: fit of 10^6 students (chapter "Scaling up"): sigma ~ 40, tau ~ 6 (state), 4 (county), 11 (school).
ROUGH_SIGMA = 40.0
ROUGH_TAU = {"state": 6.0, "county": 4.0, "school": 11.0}
TRILOGY = ("complete pooling", "no pooling", "partial pooling", "partial pooling (HSB)")
COLUMNS = [
    "suite",
    "case",
    "engine",
    "size",
    "n_students",
    "n_schools",
    "repeat",
    "process_s",
    "import_s",
    "data_s",
    "summary_s",
    "setup_s",
    "sampling_s",
    "fit_s",
    "ess_bulk_min",
    "ess_per_s_sampling",
    "ess_per_s_process",
    "divergences",
    "max_r_hat",
    "parameterization",
    "est_mu",
    "est_sigma",
    "est_tau_state",
    "est_tau_county",
    "est_tau_school",
    "est_beta_grade_c",
    "est_beta_ses",
    "converged",
    "load_1min",
    "machine",
    "cores",
    "date",
    "python",
    "versions",
    "error",
]


# --- one measurement, in its own process --------------------------------------------------------------


def _national(size: int):
    """The national region's students (a simple random sample of ``size`` of them)."""
    from hlmkit import simulate_literacy

    region = simulate_literacy(seed=SEED, **NATIONAL)
    students = region.students.assign(grade_c=lambda d: d["grade"] - region.params["reference_grade"])
    if size < len(students):
        students = students.sample(n=size, random_state=SEED).reset_index(drop=True)
    return students[["state", "county", "school", "grade_c", "ses", "literacy"]]


def _statistics(students, levels):
    import tempfile

    from hlmkit import sufficient_statistics_parquet

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "students.parquet"
        students.to_parquet(path)
        return sufficient_statistics_parquet(path, "literacy", levels, PREDICTORS)


def _estimates(idata, levels) -> dict:
    post = idata.posterior
    out = {"est_mu": float(post["mu"].mean()), "est_sigma": float(post["sigma"].mean())}
    for level in levels:
        out[f"est_tau_{level}"] = float(post["tau"].sel(level=level).mean())
    for name in PREDICTORS:
        out[f"est_beta_{name}"] = float(post["beta"].sel(predictor=name).mean())
    return out


def _fit(model, engine: str, reported: list[str]) -> dict:
    from hlmkit import diagnose, sample

    idata = sample(model, seed=SEED, sampler=engine, progressbar=False)
    table = diagnose(idata, reported).iloc[0]
    fit_s = float(idata.attrs["sampling_time"])
    sampling_s = float(idata.posterior.attrs["sampling_time"])
    return {
        "idata": idata,
        "fit_s": fit_s,
        "sampling_s": sampling_s,
        "setup_s": fit_s - sampling_s,
        "ess_bulk_min": float(table["min_ess_bulk"]),
        "divergences": int(table["divergences"]),
        "max_r_hat": float(table["max_r_hat"]),
        "converged": bool(table["ok"]),
    }


def worker(spec: dict) -> dict:
    """Run one case and return its measurements (the process wall time is taken by the parent)."""
    start = time.perf_counter()
    import hlmkit  # noqa: F401  (imports PyMC, ArviZ, pandas: part of what a chapter pays)

    row: dict = {"import_s": time.perf_counter() - start}
    suite, case, engine = spec["suite"], spec["case"], spec["engine"]
    t = time.perf_counter()
    if suite == "trilogy":
        from hlmkit import (
            complete_pooling_model,
            load_dataset,
            no_pooling_model,
            partial_pooling_model,
            simulate_literacy,
        )

        if case.endswith("(HSB)"):
            data = load_dataset("hsb")
            model = partial_pooling_model(data, "math_ach", "school", ["ses_centred"], parameterization="centered")
            reported = ["mu", "tau", "sigma", "beta", "alpha"]
        else:
            region = simulate_literacy(seed=SEED)
            data = region.students.assign(grade_c=lambda d: d["grade"] - region.params["reference_grade"])
            if case == "complete pooling":
                model, reported = complete_pooling_model(data, "literacy", PREDICTORS), ["alpha", "beta", "sigma"]
            elif case == "no pooling":
                model, reported = no_pooling_model(data, "literacy", "school", PREDICTORS), ["alpha", "beta", "sigma"]
            else:
                model = partial_pooling_model(data, "literacy", "school", PREDICTORS, parameterization="centered")
                reported = ["mu", "tau", "sigma", "beta", "alpha"]
        row.update(n_students=len(data), n_schools=int(data["school"].nunique()), data_s=time.perf_counter() - t)
        fit = _fit(model, engine, reported)
    elif suite == "scaling":
        from hlmkit import marginal_model, nested_model, sufficient_statistics_model, suggest_parameterization

        students = _national(spec["size"])
        row.update(
            data_s=time.perf_counter() - t, n_students=len(students), n_schools=int(students["school"].nunique())
        )
        t = time.perf_counter()
        stats = _statistics(students, LEVELS)
        if case != "students":
            row["summary_s"] = time.perf_counter() - t
        chosen = suggest_parameterization(stats, "literacy", LEVELS, sigma=ROUGH_SIGMA, tau=ROUGH_TAU)
        row["parameterization"] = " ".join(f"{k}:{v}" for k, v in chosen.items())
        if case == "students":
            model = nested_model(students, "literacy", LEVELS, PREDICTORS, parameterization=chosen)
        elif case == "sufficient":
            model = sufficient_statistics_model(stats, "literacy", LEVELS, PREDICTORS, parameterization=chosen)
        else:
            model = marginal_model(stats, "literacy", LEVELS, PREDICTORS, parameterization=chosen)
        fit = _fit(model, engine, ["mu", "tau", "sigma", "beta"])
        row.update(_estimates(fit["idata"], LEVELS))
    elif suite == "mixedlm":
        students = _national(spec["size"])
        row.update(
            data_s=time.perf_counter() - t, n_students=len(students), n_schools=int(students["school"].nunique())
        )
        if engine == "statsmodels":
            import statsmodels.formula.api as smf

            t = time.perf_counter()
            result = smf.mixedlm("literacy ~ grade_c + ses", students, groups=students["school"]).fit(reml=True)
            fit = {"fit_s": time.perf_counter() - t, "converged": bool(result.converged)}
            fit["sampling_s"] = fit["fit_s"]
            row.update(
                est_mu=float(result.fe_params["Intercept"]),
                est_sigma=float(result.scale) ** 0.5,
                est_tau_school=float(result.cov_re.iloc[0, 0]) ** 0.5,
                est_beta_grade_c=float(result.fe_params["grade_c"]),
                est_beta_ses=float(result.fe_params["ses"]),
            )
        else:
            from hlmkit import marginal_model

            t = time.perf_counter()
            stats = _statistics(students, ["school"])
            row["summary_s"] = time.perf_counter() - t
            fit = _fit(marginal_model(stats, "literacy", "school", PREDICTORS), engine, ["mu", "tau", "sigma", "beta"])
            row.update(_estimates(fit["idata"], ["school"]))
    else:
        raise ValueError(f"unknown suite {suite!r}")
    fit.pop("idata", None)
    row.update(fit)
    if row.get("ess_bulk_min") and row.get("sampling_s"):
        row["ess_per_s_sampling"] = row["ess_bulk_min"] / row["sampling_s"]
    return row


# --- the parent: plan, run, record, summarise -------------------------------------------------------


def _machine() -> dict:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import importlib.metadata as md

    versions = ";".join(
        f"{p}={md.version(p)}" for p in ("pymc", "nutpie", "pytensor", "duckdb", "statsmodels", "numpy")
    )
    return {
        "machine": f"{model}, {os.cpu_count()} cores, {platform.system()}",
        "cores": os.cpu_count(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "versions": versions,
    }


def plan(quick: bool, suites: tuple[str, ...] = ("trilogy", "scaling", "mixedlm")) -> list[dict]:
    sizes = QUICK_SIZES if quick else SIZES
    cases = [{"suite": "trilogy", "case": c, "engine": e, "size": None} for c in TRILOGY for e in ("nutpie", "pymc")]
    if quick:
        cases = [c for c in cases if c["case"] == "partial pooling"]
    cases += [
        {"suite": "scaling", "case": c, "engine": "nutpie", "size": s}
        for s in sizes
        for c in ("students", "sufficient", "marginal")
    ]
    cases += [
        {"suite": "mixedlm", "case": "two-level", "engine": e, "size": s}
        for s in sizes
        for e in ("statsmodels", "nutpie")
    ]
    return [case for case in cases if case["suite"] in suites]


def _slow(case: dict) -> bool:
    return case["suite"] == "scaling" and case["case"] == "students" and (case["size"] or 0) >= 1_000_000


def run_one(case: dict, repeat: int, machine: dict) -> dict:
    env = dict(os.environ, HLMKIT_PROGRESSBAR="0")
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(case)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    process_s = time.perf_counter() - start
    row = {k: case.get(k) for k in ("suite", "case", "engine", "size")}
    row.update(machine, repeat=repeat, process_s=process_s, load_1min=load)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        row["error"] = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
    else:
        row.update(json.loads(lines[-1][len("RESULT ") :]))
        if row.get("ess_bulk_min"):
            row["ess_per_s_process"] = row["ess_bulk_min"] / process_s
    return row


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"  # NaN -> "-"


def summarise(rows: list[dict]) -> str:
    """Medians per case and the ratios that matter, as Markdown."""
    import pandas as pd

    table = pd.DataFrame(rows)
    ok = table[table["error"].isna()] if "error" in table else table
    med = ok.groupby(["suite", "case", "engine", "size"], dropna=False).median(numeric_only=True)
    lines = []
    first = table.iloc[0]
    lines.append(f"Measured on {first['machine']} (Python {first['python']}); each suite's medians:")
    lines.append("")
    for suite, runs in table.groupby("suite", sort=False):  # suites may be measured on different days
        dates = " and ".join(sorted(set(runs["date"].astype(str))))
        lines.append(
            f"- {suite}: {dates}, {int(runs['repeat'].max()) + 1} run(s) per case, "
            f"load average {runs['load_1min'].min():.1f} to {runs['load_1min'].max():.1f}"
        )
    lines.append("")
    trilogy = med.loc["trilogy"] if "trilogy" in med.index.get_level_values(0) else None
    if trilogy is not None:
        lines += [
            "**Samplers on the pooling chapters' models** (nutpie, the default, against PyMC's NUTS):",
            "",
            "| model | nutpie process s | PyMC process s | nutpie setup s | PyMC setup s | ESS/s sampling, nutpie / PyMC | ESS/s process, nutpie / PyMC |",  # noqa: E501 (one line of a Markdown table or message)
            "|---|---|---|---|---|---|---|",
        ]
        for case in TRILOGY:
            try:
                a, b = trilogy.loc[(case, "nutpie")].iloc[0], trilogy.loc[(case, "pymc")].iloc[0]
            except KeyError:
                continue
            lines.append(
                f"| {case} | {_fmt(a['process_s'])} | {_fmt(b['process_s'])} | {_fmt(a['setup_s'])} | {_fmt(b['setup_s'])} "  # noqa: E501 (one line of a Markdown table or message)
                f"| {_fmt(a['ess_per_s_sampling'] / b['ess_per_s_sampling'])}x "
                f"| {_fmt(a['ess_per_s_process'] / b['ess_per_s_process'], 2)}x |"
            )
        lines.append("")
    if "scaling" in med.index.get_level_values(0):
        scaling = med.loc["scaling"]
        lines += [
            "**Three-level national model, whole process in seconds** (nutpie, full NUTS, 4 x 1,000 draws):",
            "",
            "| students | student-level | sufficient statistics | marginal | student-level / marginal |",
            "|---|---|---|---|---|",
        ]
        for size in sorted({s for (_, _, s) in scaling.index}):

            def get(case, size=size):
                try:
                    return scaling.loc[(case, "nutpie", size), "process_s"]
                except KeyError:
                    return float("nan")

            s, f, m = get("students"), get("sufficient"), get("marginal")
            ratio = "-" if s != s else f"{s / m:.1f}x"
            lines.append(f"| {int(size):,} | {_fmt(s)} | {_fmt(f)} | {_fmt(m)} | {ratio} |")
        lines.append("")
    if "mixedlm" in med.index.get_level_values(0):
        mixed = med.loc["mixedlm"]
        lines += [
            "**Two-level model: statsmodels MixedLM (REML) against the marginal model with nutpie**:",
            "",
            "| students | MixedLM converged | MixedLM fit s | MixedLM process s | marginal NUTS process s "
            "| sigma (MixedLM / NUTS) | tau (MixedLM / NUTS) |",
            "|---|---|---|---|---|---|---|",
        ]
        flags = ok[ok["engine"].eq("statsmodels")].groupby("size")["converged"].all()
        for size in sorted({s for (_, _, s) in mixed.index}):
            try:
                a, b = mixed.loc[("two-level", "statsmodels", size)], mixed.loc[("two-level", "nutpie", size)]
            except KeyError:
                continue
            lines.append(
                f"| {int(size):,} | {'yes' if bool(flags.get(size, False)) else 'no'} | {_fmt(a['fit_s'])} "
                f"| {_fmt(a['process_s'])} | {_fmt(b['process_s'])} "
                f"| {_fmt(a['est_sigma'], 2)} / {_fmt(b['est_sigma'], 2)} | {_fmt(a['est_tau_school'], 2)} / {_fmt(b['est_tau_school'], 2)} |"  # noqa: E501 (one line of a Markdown table or message)
            )
    failed = table[table["error"].notna()] if "error" in table else table.iloc[:0]
    for _, row in failed.iterrows():
        lines.append(f"\nFAILED: {row['suite']} {row['case']} {row['engine']} {row['size']}: {row['error']}")
    return "\n".join(lines)


def write_readme(summary: str) -> None:
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text() if readme.exists() else ""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        readme.write_text(f"{head}{start}\n{summary}\n{end}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each case (default 3)")
    parser.add_argument("--slow-repeats", type=int, default=1, help="runs of the 10^6 student-level fit (default 1)")
    parser.add_argument("--quick", action="store_true", help="small data only: a smoke test")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.csv")
    parser.add_argument("--suites", default="trilogy,scaling,mixedlm", help="comma-separated suites to run")
    parser.add_argument("--summarise", action="store_true", help="only summarise an existing --out CSV")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(json.loads(args.worker))), flush=True)
        return
    if args.summarise:
        import pandas as pd

        rows = pd.read_csv(args.out).to_dict("records")
        summary = summarise(rows)
        print(summary)
        if args.out.resolve() == (ROOT / "bench" / "results.csv").resolve():
            write_readme(summary)
        return
    machine = _machine()
    cases = plan(args.quick, tuple(args.suites.split(",")))
    rows = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as handle:  # one row at a time: a stopped run keeps what it measured
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for repeat in range(args.repeats):
            for case in cases:
                if _slow(case) and repeat >= args.slow_repeats:
                    continue
                row = run_one(case, repeat, machine)
                rows.append(row)
                writer.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
                handle.flush()
                label = f"{case['suite']:8s} {case['case']:22s} {case['engine']:11s} {case['size'] or '':>9}"
                status = row.get("error") or f"{row['process_s']:7.1f} s"
                print(f"[{repeat + 1}/{args.repeats}] {label} {status}", flush=True)
    summary = summarise(rows)
    print()
    print(summary)
    if args.out.resolve() == (ROOT / "bench" / "results.csv").resolve() and not args.quick:
        write_readme(summary)


if __name__ == "__main__":
    main()
