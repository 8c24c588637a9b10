"""Tests of fer_classic.utils.blockwise: products with float16 matrices by blocks."""

import numpy as np
import pytest
from scipy import sparse

from fer_classic.utils.blockwise import as_compute, compute_dtype, matmul, row_blocks


@pytest.fixture
def half():
    return np.random.default_rng(0).normal(size=(37, 19)).astype(np.float16)


def test_blocks_cover_every_row_once_in_float32(half):
    blocks = list(row_blocks(half, block_bytes=5 * 19 * 4))
    assert [(a, b) for a, b, _ in blocks][:2] == [(0, 5), (5, 10)]
    assert all(B.dtype == np.float32 for *_, B in blocks)
    # float16 -> float32 is exact
    np.testing.assert_array_equal(np.vstack([B for *_, B in blocks]), half.astype(np.float32))


@pytest.mark.parametrize("block_bytes", [1, 300, 2**23])
def test_matmul_equals_the_float32_product(half, block_bytes):
    W = np.random.default_rng(1).normal(size=(19, 8))
    out = matmul(half, W, block_bytes=block_bytes)
    assert out.dtype == np.float32
    # the same float32 values, multiplied by blocks of rows: BLAS may order
    # the sums differently for other block heights, within float32 rounding
    np.testing.assert_allclose(out, half.astype(np.float32) @ W.astype(np.float32),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(matmul(half, W.T, transpose=True, block_bytes=block_bytes),
                               out, rtol=1e-6, atol=1e-6)


def test_other_inputs_pass_through(half):
    X = half.astype(np.float64)
    assert as_compute(X) is X and compute_dtype(X) == np.float64
    np.testing.assert_array_equal(matmul(X, np.eye(19)), X)
    S = sparse.csr_matrix(X)
    assert as_compute(S) is S
    np.testing.assert_allclose(matmul(S, np.eye(19)), X)


def test_conversion_is_numpys_bit_for_bit_for_every_float16():
    # every bit pattern: zeros, subnormals, normals, infinities, NaNs, both signs
    every = np.arange(2**16, dtype=np.uint16).view(np.float16).reshape(256, 256)
    ours, ref = as_compute(every), every.astype(np.float32)
    same = (ours.view(np.uint32) == ref.view(np.uint32)) | (np.isnan(ours) & np.isnan(ref))
    assert same.all()
    # non-contiguous, 1-d and empty input too (assert_array_equal: NaN equals NaN)
    np.testing.assert_array_equal(as_compute(every[:, ::3]), ref[:, ::3])
    np.testing.assert_array_equal(as_compute(every[7]), ref[7])
    assert as_compute(every[:0]).shape == (0, 256)
