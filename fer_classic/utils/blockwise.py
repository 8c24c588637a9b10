"""Products with half-precision matrices, one block of rows at a time.

Large dense feature matrices (Fisher vectors: 57,418 x 33,792 values for the
Training faces and their mirror images) can be stored as ``float16``, half
the memory of ``float32``. NumPy has no BLAS for ``float16``: its products
run orders of magnitude slower. The helpers here convert one block of rows at
a time to ``float32`` and hand that block to BLAS, so that the matrix is held
in half precision and computed with in single precision, with tens of
megabytes of temporaries. Other dtypes (and sparse matrices) pass through
unchanged. A memory-mapped matrix is read block by block whatever its
dtype, and each block's pages are released once used
(:func:`~fer_classic.utils.mapped.release`).
"""

import cv2
import numpy as np
from scipy import sparse

from .mapped import mapping_of, release

__all__ = ["compute_dtype", "as_compute", "row_blocks", "matmul"]

#: Bytes of ``float32`` per converted block: blocks of a few hundred rows keep
#: BLAS at full speed, and a few of them cost tens of megabytes; why:
#: benchmarks/results/blockwise.md
BLOCK_BYTES = 2**25


def compute_dtype(X):
    """The dtype products with ``X`` are computed in: float32 for float16, else X's.

    Examples
    --------
    >>> import numpy as np
    >>> compute_dtype(np.zeros(2, np.float16))
    dtype('float32')
    """
    dtype = np.dtype(X.dtype)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def as_compute(X):
    """``X`` in its compute dtype (a float32 copy of a float16 array, else ``X`` itself).

    The conversion is exact (every float16 value is a float32 value). It is
    OpenCV's (``cv2.convertFp16``, the processor's half-precision
    instructions), several times faster than NumPy's element-by-element cast.

    Examples
    --------
    >>> import numpy as np
    >>> as_compute(np.ones(2, np.float16)).dtype
    dtype('float32')
    """
    if sparse.issparse(X) or np.dtype(X.dtype) != np.float16:
        return X
    X = np.ascontiguousarray(X)
    if X.size == 0:
        return X.astype(np.float32)
    flat = X.reshape(len(X), -1) if X.ndim > 1 else X.reshape(1, -1)
    return cv2.convertFp16(flat).reshape(X.shape)


def row_blocks(X, *, block_bytes=BLOCK_BYTES):
    """Yield ``(start, stop, block)``: consecutive rows of ``X`` in the compute dtype.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    block_bytes : int
        Bytes of each converted block (at least one row).

    Examples
    --------
    >>> import numpy as np
    >>> [(a, b, B.dtype.name) for a, b, B in row_blocks(np.ones((5, 4), np.float16),
    ...                                                  block_bytes=32)]
    [(0, 2, 'float32'), (2, 4, 'float32'), (4, 5, 'float32')]
    """
    n = X.shape[0]
    row_bytes = max(1, int(np.prod(X.shape[1:])) * compute_dtype(X).itemsize)
    step = max(1, int(block_bytes) // row_bytes)
    for start in range(0, n, step):
        stop = min(start + step, n)
        yield start, stop, as_compute(X[start:stop])
        # a memory-mapped matrix: its pages just read leave resident memory
        release(X, slice(start, stop))


def matmul(X, W, *, transpose=False, block_bytes=BLOCK_BYTES):
    """``X @ W`` (or ``X @ W.T`` with ``transpose``), block by block when ``X`` is float16.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n, d)
    W : ndarray of shape (d, k), or (k, d) with ``transpose``
        Cast to the compute dtype of ``X``.
    transpose : bool, default=False
    block_bytes : int
        Bytes of each converted block of ``X``.

    Returns
    -------
    product : ndarray of shape (n, k)
        Dense, in the compute dtype of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(6, dtype=np.float16).reshape(3, 2)
    >>> matmul(X, np.ones((2, 1)))
    array([[1.],
           [5.],
           [9.]], dtype=float32)
    """
    W = np.asarray(W)
    if transpose:
        W = W.T
    dtype = compute_dtype(X)
    W = W.astype(dtype, copy=False)
    if sparse.issparse(X) or (np.dtype(X.dtype) != np.float16 and mapping_of(X) is None):
        out = X @ W
        return out.toarray() if sparse.issparse(out) else np.asarray(out)
    out = np.empty((X.shape[0], W.shape[1]), dtype=dtype)
    for start, stop, block in row_blocks(X, block_bytes=block_bytes):
        np.matmul(block, W, out=out[start:stop])
    return out
