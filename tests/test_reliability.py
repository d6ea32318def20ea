"""Reliability statistics (werk.stats.reliability) against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from werk.stats import reliability

# Five respondents, three items, worked on paper: item variances 2.5, 1.8 and 1.3 (sum 5.6); the sums
# 5, 7, 10, 13, 14 have variance 14.7; alpha = 3/2 * (1 - 5.6/14.7) = 13/14.
HAND = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 4, 4, 5], "c": [2, 3, 3, 5, 4]}, dtype=float)


def test_alpha_by_hand():
    assert reliability.cronbach_alpha(HAND) == pytest.approx(13 / 14, abs=1e-12)


def test_item_rest_and_alpha_if_deleted_by_hand():
    stats = reliability.item_statistics(HAND).set_index("item")
    # a against b + c = 4, 5, 7, 9, 9: cross-products 14, sums of squares 10 and 20.8
    assert stats.loc["a", "item_rest_r"] == pytest.approx(14 / np.sqrt(10 * 20.8), abs=1e-12)
    # without a: variances 1.8 + 1.3 against 5.2 for their sum: 2 * (1 - 3.1/5.2)
    assert stats.loc["a", "alpha_if_deleted"] == pytest.approx(2 * (1 - 3.1 / 5.2), abs=1e-12)
    assert stats.loc["a", "n"] == 5 and stats.loc["b", "mean"] == pytest.approx(3.4)


def test_listwise_missing_answers():
    with_gap = HAND.copy()
    with_gap.loc[5] = [np.nan, 1, 1]  # not answered in full: left out of every statistic
    assert reliability.cronbach_alpha(with_gap) == pytest.approx(13 / 14, abs=1e-12)
    assert reliability.scale_statistics(with_gap)["n"] == 5


def _exact(cov: np.ndarray, n: int = 400, seed: int = 1) -> np.ndarray:
    """Data whose sample covariance is exactly ``cov``."""
    z = np.random.default_rng(seed).standard_normal((n, len(cov)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return z @ np.linalg.cholesky(cov).T + 3


def test_omega_recovers_an_exact_one_factor_structure():
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    sd = np.array([1.0, 2.0, 1.0, 0.5])
    cov = (np.outer(lam, lam) + np.diag(1 - lam**2)) * np.outer(sd, sd)
    loadings, unique = reliability.one_factor(cov)
    np.testing.assert_allclose(loadings, lam * sd, atol=1e-4)
    np.testing.assert_allclose(unique, (1 - lam**2) * sd**2, atol=1e-4)
    want = (lam * sd).sum() ** 2 / ((lam * sd).sum() ** 2 + ((1 - lam**2) * sd**2).sum())
    assert reliability.omega(_exact(cov)) == pytest.approx(want, abs=1e-4)


def test_alpha_equals_omega_for_parallel_items():
    cov = np.full((4, 4), 0.5) + np.eye(4) * 0.5  # equal loadings, equal error variances
    x = _exact(cov)
    assert reliability.omega(x) == pytest.approx(reliability.cronbach_alpha(x), abs=1e-5)
    assert reliability.cronbach_alpha(x) == pytest.approx(4 * 0.5 / (1 + 3 * 0.5), abs=1e-12)


def test_a_scale_needs_two_items():
    with pytest.raises(ValueError, match="two items"):
        reliability.cronbach_alpha(HAND[["a"]])
