"""The methods appendix's facts about the twin: computed from the data, with the same bits in every run."""

import numpy as np
import pandas as pd

from werk import book


def test_pearson_is_the_correlation_of_the_rows_both_know_and_follows_the_data():
    rng = np.random.default_rng(3)
    x = pd.Series(rng.normal(size=500))
    y = pd.Series(0.6 * x + rng.normal(size=500))
    y[7] = np.nan
    assert abs(book._pearson(x, y) - x.corr(y)) < 1e-12
    assert abs(book._pearson(x, -y) + x.corr(y)) < 1e-12, "another variable, another r"


def test_pearson_gives_the_same_bits_wherever_the_arrays_lie_in_memory():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=5391), rng.normal(size=5391)
    first = book._pearson(pd.Series(a), pd.Series(b))
    for offset in range(1, 8):  # the same values at other addresses, one float further each time
        buf_a, buf_b = np.empty(5391 + offset), np.empty(5391 + offset)
        buf_a[offset:], buf_b[offset:] = a, b
        assert book._pearson(pd.Series(buf_a[offset:]), pd.Series(buf_b[offset:])) == first
