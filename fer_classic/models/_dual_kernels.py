"""Compiled (Numba) dual coordinate descent steps for :mod:`.dual_svm`.

One call runs the coordinate steps of a block of rows for a group of
one-vs-rest problems that share the rows: for each problem in turn, the
rows in order (the problems are independent, so this is the order of
liblinear's steps for each). The weights of one problem (float32, 135 KB
for 33,792 features) stay in the processor's cache while the block's rows
stream past them.

The dot products are compiled with ``fastmath={"reassoc", "contract"}``, so
that they run as vector instructions: their summation order follows the
processor's vector width. The result is the same bits on one machine,
whatever the threads or blocks (each problem's steps do not depend on the
others), and may differ in the last digits between processors, as dense
SIFT's do.
"""

import numba
import numpy as np


@numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def _dot(x, w):
    s = np.float32(0.0)
    for j in range(x.shape[0]):
        s += x[j] * w[j]
    return s


@numba.njit(nogil=True, cache=True)
def _axpy(a, x, w):
    for j in range(x.shape[0]):
        w[j] += a * x[j]


@numba.njit(nogil=True, cache=True)
def dual_cd_block(X, rows, Y, alpha, W, wb, bias, diag, Q, pg):
    """Coordinate steps on the rows of block ``X`` for the problems of ``Y``.

    Parameters
    ----------
    X : ndarray of shape (m, d), float32
        The block's rows.
    rows : ndarray of shape (m,), int64
        Their indices in the training set (rows of ``Y`` and ``alpha``).
    Y : ndarray of shape (n, k), float64
        Targets in {-1, +1}, one column per problem.
    alpha : ndarray of shape (n, k), float64
        Dual variables, updated in place.
    W : ndarray of shape (k, d), float32
        Weights (``sum_i alpha_ik y_ik x_i``), one row per problem, updated
        in place.
    wb : ndarray of shape (k,), float64
        Weight of the constant feature ``bias``, updated in place.
    bias : float
        Value of the constant feature (the intercept is ``bias * wb``).
    diag : float
        ``1 / (2 C)``, the diagonal the squared hinge adds to the dual.
    Q : ndarray of shape (m,), float64
        ``x_r . x_r + bias ** 2 + diag`` for each row of the block.
    pg : ndarray of shape (k, 2), float64
        Running largest and smallest projected gradient of each problem,
        updated in place (the stopping rule).
    """
    m = X.shape[0]
    for c in range(W.shape[0]):
        w = W[c]
        for r in range(m):
            i = rows[r]
            a = alpha[i, c]
            G = Y[i, c] * (np.float64(_dot(X[r], w)) + bias * wb[c]) - 1.0 + diag * a
            PG = G if a > 0.0 else min(G, 0.0)
            if PG > pg[c, 0]:
                pg[c, 0] = PG
            if PG < pg[c, 1]:
                pg[c, 1] = PG
            if PG != 0.0:
                a_new = max(a - G / Q[r], 0.0)
                step = (a_new - a) * Y[i, c]
                alpha[i, c] = a_new
                if step != 0.0:
                    _axpy(np.float32(step), X[r], w)
                    wb[c] += step * bias
