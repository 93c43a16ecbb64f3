"""canonical.float_texts writes every float as json.dumps does (Python's repr)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deconfliction.channel.canonical import float_texts


def test_random_bit_patterns_are_written_as_repr() -> None:
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**64, 200_000, dtype=np.uint64)
    values = bits.view(np.float64)
    values = values[np.isfinite(values)]
    assert float_texts(values) == [json.dumps(v) for v in values.tolist()]


def test_the_exponent_edges_and_everyday_values() -> None:
    edges = [0.0, -0.0, 1e-4, -1e-4, np.nextafter(1e-4, 0.0), 9.999999999999999e15, 1e16,
             np.nextafter(1e16, 0.0), 5e-324, -5e-324, 1.7976931348623157e308, 2.0**53,
             0.1, 0.3, 33.5, 38.6, 1_700_000_000.123456, 55_000.0, 123456789012345680.0]
    rng = np.random.default_rng(3)
    everyday = np.concatenate([rng.uniform(-180, 180, 50_000), rng.uniform(0, 2e9, 50_000),
                               rng.uniform(-1e-3, 1e-3, 50_000), rng.uniform(-1e4, 2e4, 50_000),
                               np.round(rng.uniform(-1e6, 1e6, 10_000), 3)])
    values = np.concatenate([np.asarray(edges, dtype=np.float64), everyday])
    assert float_texts(values) == [json.dumps(v) for v in values.tolist()]


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=50))
def test_any_finite_floats(values: list[float]) -> None:
    assert float_texts(values) == [json.dumps(v) for v in values]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_value_that_is_not_finite_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        float_texts([1.0, bad])
    with pytest.raises(ValueError, match="not JSON compliant"):
        json.dumps(bad, allow_nan=False)  # as canonical JSON refuses it
