"""r_hat and ESS of many quantities at once: ArviZ's numbers without ArviZ's loop over quantities.

ArviZ computes the rank-normalised split r_hat and the bulk and tail ESS of Vehtari et al.
(2021, https://doi.org/10.1214/20-BA1221) one scalar quantity at a time, in Python. A fit with
hundreds of scalars (a slope and an intercept per school) spends seconds there; over the book's
chapters it was a fifth of their time. The functions here run the same arithmetic (arviz-stats'
``_rhat_rank``, ``_ess_bulk`` and ``_ess_tail``) on every quantity at once with NumPy, and
``tests/test_diagnostics.py`` checks them against ``az.rhat`` and ``az.ess`` on draws of every
kind. Only Geyer's truncation of the autocorrelations stays a Python loop: per quantity, over a few lags.

:func:`diagnostics` takes ``draws`` of shape (chain, draw, quantity) and returns one value per
quantity, NaN where ArviZ gives NaN (a draw that is NaN; fewer than 4 draws; r_hat of one chain).
"""

from __future__ import annotations

import numpy as np
import scipy.special
from scipy.fft import next_fast_len

#: Quantities per block: bounds the memory of the temporaries (a few copies of the block's draws).
BLOCK = 256


def diagnostics(draws: np.ndarray, tail_prob: float | None = None) -> tuple[np.ndarray, ...]:
    """``(r_hat, bulk ESS)``, and the tail ESS too when ``tail_prob`` is given, one value per quantity."""
    draws = np.asarray(draws, dtype=float)
    blocks = []
    for k in range(0, max(draws.shape[-1], 1), BLOCK):  # below, one quantity per row: (quantity, chain, draw)
        blocks.append(_block(np.ascontiguousarray(np.moveaxis(draws[..., k : k + BLOCK], -1, 0)), tail_prob))
    return tuple(np.concatenate(parts) for parts in zip(*blocks, strict=True))


def _block(draws: np.ndarray, tail_prob: float | None) -> tuple[np.ndarray, ...]:
    quantities, chains, n_draws = draws.shape
    nan = np.full(quantities, np.nan)
    invalid = np.isnan(draws).any(axis=(1, 2))  # ArviZ gives NaN for a quantity with a NaN draw,
    if n_draws < 4:  # ... for fewer than 4 draws, and for r_hat of a single chain
        return (nan, nan) if tail_prob is None else (nan, nan, nan)
    split = _split_chains(draws)
    z = _z_scale(split)
    rhat = nan
    if chains > 1:  # rank-normalised split r_hat: the larger of the bulk and the folded (tail) version
        bulk = _plain_rhat(z)
        folded = _plain_rhat(_z_scale(np.abs(split - np.median(split.reshape(quantities, -1), axis=1)[:, None, None])))
        rhat = np.where(invalid, np.nan, np.where(folded > bulk, folded, bulk))  # Python's max(bulk, folded)
    results = [rhat, np.where(invalid, np.nan, _ess(z))]
    if tail_prob is not None:  # the smaller ESS of the indicators below the 1 - p and p quantiles
        flat = draws.reshape(quantities, -1)
        low, high = (_ess(_split_chains((draws <= np.quantile(flat, p, axis=1)[:, None, None]).astype(float)))
                     for p in sorted((tail_prob, 1 - tail_prob)))
        results.append(np.where(invalid, np.nan, np.where(high < low, high, low)))
    return tuple(results)


def _split_chains(draws: np.ndarray) -> np.ndarray:
    """Each chain's first and last halves as two chains (the middle draw of an odd count dropped)."""
    half = draws.shape[2] // 2
    return np.concatenate([draws[:, :, :half], draws[:, :, draws.shape[2] - half :]], axis=1)


def _z_scale(draws: np.ndarray) -> np.ndarray:
    """Replace each draw by the normal score of its rank over all chains (Blom's offset 3/8), per quantity."""
    rows = draws.reshape(len(draws), -1)
    return scipy.special.ndtri((_average_ranks(rows) - 3 / 8) / (rows.shape[1] - 2 * 3 / 8 + 1)).reshape(draws.shape)


def _average_ranks(rows: np.ndarray) -> np.ndarray:
    """Ranks from 1 along each row, ties given their average rank (``scipy.stats.rankdata``'s default)."""
    n = rows.shape[1]
    order = np.argsort(rows, axis=1)
    ordered = np.take_along_axis(rows, order, axis=1)
    position = np.broadcast_to(np.arange(1.0, n + 1), rows.shape)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]  # where a run of equal values begins
    if starts.all():  # no ties: each value's rank is its position
        average = position
    else:
        ends = np.ones(ordered.shape, dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        first = np.maximum.accumulate(np.where(starts, position, 1.0), axis=1)
        last = np.minimum.accumulate(np.where(ends, position, float(n))[:, ::-1], axis=1)[:, ::-1]
        average = (first + last) / 2
    ranks = np.empty(ordered.shape)
    np.put_along_axis(ranks, order, average, axis=1)
    return ranks


def _plain_rhat(draws: np.ndarray) -> np.ndarray:
    n = draws.shape[2]
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant quantity: NaN, as in ArviZ
        between = n * np.var(draws.mean(axis=2), axis=1, ddof=1)
        within = np.var(draws, axis=2, ddof=1).mean(axis=1)
        return np.sqrt((between / within + n - 1) / n)


def _ess(draws: np.ndarray) -> np.ndarray:
    """ESS of each quantity's chains, with Geyer's initial monotone sequence."""
    quantities, chains, n = draws.shape
    centred = draws - draws.mean(axis=2, keepdims=True)
    size = next_fast_len(2 * n)
    spectrum = np.fft.rfft(centred, n=size, axis=2)
    autocov = np.fft.irfft(spectrum * np.conjugate(spectrum), n=size, axis=2)[:, :, :n] / n
    mean_var = autocov[:, :, 0].mean(axis=1) * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if chains > 1:
        var_plus = var_plus + np.var(draws.mean(axis=2), axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[:, None] - autocov.mean(axis=1)) / var_plus[:, None]  # (quantity, lag)
    constant = draws.max(axis=(1, 2)) - draws.min(axis=(1, 2)) < np.finfo(float).resolution
    return np.array([chains * n if constant[k] else _geyer(rho[k], chains * n) for k in range(quantities)])


def _geyer(rho: np.ndarray, total: int) -> float:
    """ESS from one quantity's autocorrelations: arviz-stats' ``_ess`` after the autocovariance."""
    n = len(rho)
    kept = np.zeros(n)
    even, odd = 1.0, rho[1]
    kept[0], kept[1] = even, odd
    t = 1
    while t < n - 3 and even + odd > 0.0:  # the initial positive sequence
        even, odd = rho[t + 1], rho[t + 2]
        if even + odd >= 0:
            kept[t + 1], kept[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0:
        kept[max_t + 1] = even
    t = 1
    while t <= max_t - 2:  # made monotone
        if kept[t + 1] + kept[t + 2] > kept[t - 1] + kept[t]:
            kept[t + 1] = kept[t + 2] = (kept[t - 1] + kept[t]) / 2.0
        t += 2
    tau = -1.0 + 2.0 * np.sum(kept[: max_t + 1]) + np.sum(kept[max_t + 1 : max_t + 2])
    tau = max(tau, 1 / np.log10(total))
    return np.nan if np.isnan(kept).any() else total / tau
