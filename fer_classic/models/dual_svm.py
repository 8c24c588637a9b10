"""A linear SVM by dual coordinate descent over a dense matrix as it is held.

:class:`DualLinearSVM` solves liblinear's L2-regularised squared-hinge
problem, one-vs-rest, by its dual coordinate descent: what scikit-learn's
:class:`~sklearn.svm.LinearSVC` with ``dual=True`` solves, intercept
included (a constant feature of value ``intercept_scaling``, penalised like
the others). liblinear copies a dense matrix into its own sparse format of
16 bytes a value: 31 GB for the Fisher vectors of the Training faces and
their mirror images (57,418 x 33,792), which are held as 3.9 GB of float16.
Here the rows are read in place, a block of them at a time (float16 blocks
converted to float32 in cache), in a seeded random order each epoch; the
steps keep float32 weights, and the fitted weights are summed again in
float64 from the dual variables (one more pass).

Each epoch is one pass over the data, and a few tens of epochs reach what
L-BFGS on the primal (:class:`~fer_classic.models.LinearSVM`) needs hundreds
of passes for (``benchmarks/results/global_svm.md``). The
one-vs-rest problems are independent: ``n_jobs`` threads take a share of
them each, reading the same blocks, and give the same bits as one thread.
"""

import numbers
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np
from joblib import effective_n_jobs
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import validate_data

from ..utils import jit
from ..utils.blockwise import as_compute, row_blocks
from ..utils.mapped import release
from ..utils.progress import progress, progress_enabled
from .linear import LinearScoresMixin

__all__ = ["DualLinearSVM"]

#: Rows per block: a float32 block of Fisher vectors (33,792 values a row) is
#: 8.7 MB, converted once and read by every thread while it is in cache.
_BLOCK_ROWS = 64


def _row_norms(X):
    """Squared norm of every row, in float64, block by block."""
    out = np.empty(X.shape[0])
    for start, stop, B in row_blocks(X):
        out[start:stop] = np.einsum("ij,ij->i", B, B, dtype=np.float64)
    return out


class DualLinearSVM(LinearScoresMixin, ClassifierMixin, BaseEstimator):
    """Linear SVM (one-vs-rest, squared hinge, L2) by dual coordinate descent.

    The problem of :class:`~sklearn.svm.LinearSVC` (``dual=True``,
    ``loss="squared_hinge"``, ``penalty="l2"``), solved over dense float16,
    float32 or float64 rows without copying the matrix.

    Parameters
    ----------
    C : float, default=1.0
        Weight of the summed squared-hinge loss against the L2 penalty.
    tol : float, default=0.1
        Stop when, over one epoch, the projected gradients of every
        problem's dual variables span at most ``tol`` (liblinear's rule; its
        command line's default for this solver).
    max_iter : int, default=1000
        Maximum epochs (passes over the data).
    intercept_scaling : float, default=1.0
        Value of the constant feature whose weight, times this value, is the
        intercept (penalised with the other weights, as in liblinear); 0
        fits no intercept.
    random_state : int, RandomState instance or None, default=None
        Seeds the order of the rows in each epoch.
    n_jobs : int or None, default=None
        Threads, each taking a share of the one-vs-rest problems (joblib
        semantics). The result does not depend on it.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features) or (1, n_features)
        A single row for two classes, as in LinearSVC.
    intercept_ : ndarray of shape (n_classes,) or (1,)
    n_iter_ : int
        Epochs run.
    n_features_in_ : int

    See Also
    --------
    fer_classic.models.LinearSVM : The primal problem by L-BFGS (sparse input too).
    sklearn.svm.LinearSVC : The same problem by liblinear, on a copy of the data.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = DualLinearSVM(C=1.0, random_state=0).fit(X, y)
    >>> round(clf.score(X, y), 2) > 0.9
    True
    """

    _parameter_constraints = {
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "intercept_scaling": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [None, numbers.Integral],
    }

    def __init__(self, *, C=1.0, tol=0.1, max_iter=1000, intercept_scaling=1.0,
                 random_state=None, n_jobs=None):
        self.C = C
        self.tol = tol
        self.max_iter = max_iter
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the one-vs-rest problems.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Dense; float16 is read as it is (converted block by block).
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : DualLinearSVM
        """
        if sparse.issparse(X):
            raise TypeError("DualLinearSVM takes dense data; for sparse data use "
                            "sklearn.svm.LinearSVC(dual=True), which solves the same problem.")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32, np.float16],
                             order="C", y_numeric=False)
        W, wb, self.n_iter_ = self._solve(X, self._binary_targets(y))
        self.coef_ = np.ascontiguousarray(W.T)
        self.intercept_ = wb * float(self.intercept_scaling)
        return self

    def _solve(self, X, Y):
        n, d = X.shape
        k = Y.shape[1]
        bias = float(self.intercept_scaling)
        diag = 0.5 / float(self.C)
        Q = _row_norms(X) + bias * bias + diag
        groups = np.array_split(np.arange(k), max(1, min(effective_n_jobs(self.n_jobs), k)))
        # each group's problems in contiguous arrays of its own
        Ys = [np.ascontiguousarray(Y[:, g]) for g in groups]
        alphas = [np.zeros((n, len(g))) for g in groups]
        Ws = [np.zeros((len(g), d), np.float32) for g in groups]
        wbs = [np.zeros(len(g)) for g in groups]
        kernel = jit.import_kernels("fer_classic.models._dual_kernels").dual_cd_block
        rng = check_random_state(self.random_state)
        bar = progress(desc="DualLinearSVM", unit="epoch", disable=not progress_enabled())
        with bar, ThreadPoolExecutor(len(groups)) if len(groups) > 1 else nullcontext() as pool:
            for epoch in range(1, int(self.max_iter) + 1):
                order = rng.permutation(n)
                pgs = [np.array([[-np.inf, np.inf]] * len(g)) for g in groups]
                for a in range(0, n, _BLOCK_ROWS):
                    rows = np.sort(order[a:a + _BLOCK_ROWS])  # in order: reads ahead
                    block = as_compute(X[rows]).astype(np.float32, copy=False)
                    release(X)  # a memory-mapped X: the pages just read leave memory
                    jobs = [(block, rows, Ys[t], alphas[t], Ws[t], wbs[t], bias, diag,
                             Q[rows], pgs[t]) for t in range(len(groups))]
                    if pool is None:
                        jit.call(kernel, *jobs[0])
                    else:
                        list(pool.map(lambda args: jit.call(kernel, *args), jobs))
                bar.update()
                gap = max(float(np.max(pg[:, 0] - pg[:, 1])) for pg in pgs)
                if gap <= self.tol:
                    break
            else:
                warnings.warn(
                    f"DualLinearSVM did not converge in max_iter={self.max_iter} epochs; raise "
                    "max_iter or tol, or lower C.", ConvergenceWarning)
        alpha = np.zeros((n, k))
        for g, alpha_g in zip(groups, alphas):
            alpha[:, g] = alpha_g
        # the weights the dual variables stand for, summed again in float64:
        # the steps added float32 multiples of the rows
        coefs = alpha * Y
        W = np.zeros((d, k))
        for start in range(0, n, 256):
            block = as_compute(X[start:start + 256]).astype(np.float64)
            release(X, slice(start, start + 256))
            W += block.T @ coefs[start:start + 256]
        return W, bias * coefs.sum(axis=0), epoch
