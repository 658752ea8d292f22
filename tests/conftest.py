"""Shared fixtures: simulated regions made once per session, with fixed seeds."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from hlmkit import simulate_literacy  # noqa: E402


@pytest.fixture(scope="session")
def region():
    """The book's default region (the one chapter 1 uses)."""
    return simulate_literacy(seed=2024)


@pytest.fixture(scope="session")
def large_region():
    """A region with about 1,000 schools, for checks that need many groups."""
    return simulate_literacy(seed=7, n_states=10, counties_per_state=10, schools_per_county=10)
