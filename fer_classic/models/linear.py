"""A linear SVM trained for all classes at once with L-BFGS.

:class:`LinearSVM` minimises the same objective as scikit-learn's
:class:`~sklearn.svm.LinearSVC` with its defaults (one-vs-rest, L2 penalty,
squared hinge loss, ``C`` weighting the summed loss), except that the
intercept is not penalised. Instead of liblinear's coordinate descent, one
class at a time, it takes quasi-Newton steps on all one-vs-rest problems
jointly: each step is two matrix products with the data, which BLAS runs at
full speed. On FER2013-sized problems (28,709 x 900 HOG features) that is
tens of times faster than ``LinearSVC(dual=False)`` for the same accuracy;
see ``benchmarks/bench_training.py``. Sparse input is supported, and so is
float16 input (a matrix half the size of float32, converted to float32 block
by block as the products read it).
"""

import numbers
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np
from joblib import effective_n_jobs
from scipy import sparse
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ..utils.blockwise import as_compute, compute_dtype, matmul
from ..utils.progress import progress, progress_enabled
from ..utils.scores import labels_from_scores

__all__ = ["LinearSVM", "LinearScoresMixin", "squared_hinge_objective"]


def squared_hinge_objective(W, b, X, Y, C):
    """One-vs-rest squared-hinge objective and its gradient.

    ``0.5 * ||W||^2 + C * sum_ik max(0, 1 - Y_ik (X_i . W_k + b_k))^2``

    Parameters
    ----------
    W : ndarray of shape (n_features, n_outputs)
    b : ndarray of shape (n_outputs,)
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in {-1, +1}.
    C : float

    Returns
    -------
    value : float
    grad_W : ndarray of shape (n_features, n_outputs)
    grad_b : ndarray of shape (n_outputs,)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [-1.0]]); Y = np.array([[1.0], [-1.0]])
    >>> squared_hinge_objective(np.zeros((1, 1)), np.zeros(1), X, Y, C=1.0)[0]
    2.0
    """
    n = X.shape[0]
    loss, grad_W, grad_b = _range_objective(W, b, X, Y, C, 0, n, max(n, 1))
    return 0.5 * float(np.sum(W * W)) + loss, W + grad_W, grad_b


#: Bytes of data per block of rows in :func:`_blocked_objective`: small enough
#: for a block to stay in cache between its two matrix products.
_BLOCK_BYTES = 2**22


def _block_rows(X):
    if sparse.issparse(X):
        row_bytes = max(1.0, (X.data.nbytes + X.indices.nbytes) / max(1, X.shape[0]))
    else:
        row_bytes = X.shape[1] * compute_dtype(X).itemsize
    return int(np.clip(_BLOCK_BYTES // row_bytes, 16, 8192))


def _range_objective(W, b, X, Y, C, start, stop, step):
    """Loss part of the objective and its gradient over rows ``start:stop``, by blocks."""
    value = 0.0
    grad_W = np.zeros_like(W)
    grad_b = np.zeros_like(b)
    for a in range(start, stop, step):
        # a float16 block is converted while it is in cache (BLAS has no float16)
        Xb, Yb = as_compute(X[a:min(a + step, stop)]), Y[a:min(a + step, stop)]
        active = np.maximum(1.0 - Yb * (Xb @ W + b), 0.0)
        value += C * float(np.sum(active * active))
        G = -2.0 * C * (Yb * active)
        grad_W += np.asarray(Xb.T @ G)
        grad_b += G.sum(axis=0)
    return value, grad_W, grad_b


def _pad_classes(Y, n_features, n_columns):
    """Targets, weights and intercepts with padding columns up to ``n_columns``.

    A padding column has target +1, zero weights and intercept 1: its
    margins are exactly 1, so it adds nothing to the objective or its
    gradient (the caller keeps its weights at zero).
    """
    n, k = Y.shape
    if n_columns > k:
        Y = np.concatenate([Y, np.ones((n, n_columns - k), Y.dtype)], axis=1)
    return Y, np.zeros((n_features, n_columns), Y.dtype), np.ones(n_columns, Y.dtype)


def _blocked_objective(W, b, X, Y, C, ranges, step, pool):
    """:func:`squared_hinge_objective` with one pass over the data, in threads.

    Each of ``ranges`` (contiguous row ranges, one per thread) is read once,
    ``step`` rows at a time: a block's two products (scores, then gradient)
    run while it is in cache. The per-range sums are added in a fixed order,
    so the result does not depend on thread timing.
    """
    jobs = [(W, b, X, Y, C, a, z, step) for a, z in ranges]
    parts = list(pool.map(lambda args: _range_objective(*args), jobs)) if pool else \
        [_range_objective(*args) for args in jobs]
    value = 0.5 * float(np.sum(W * W))
    grad_W, grad_b = W.copy(), np.zeros_like(b)
    for v, gW, gb in parts:
        value += v
        grad_W += gW
        grad_b += gb
    return value, grad_W, grad_b


class LinearScoresMixin:
    """Targets, scores and labels of a one-vs-rest linear model.

    Shared by :class:`LinearSVM` and :class:`~fer_classic.models.DualLinearSVM`:
    ``fit`` turns the labels into {-1, +1} targets with
    :meth:`_binary_targets`; the fitted ``coef_``, ``intercept_`` and
    ``classes_`` then score float16 input block by block
    (:func:`~fer_classic.utils.blockwise.matmul`). ``_accept_sparse`` is what
    the scores accept (``validate_data``'s ``accept_sparse``).
    """

    _accept_sparse = False

    def _binary_targets(self, y):
        """{-1, +1} targets, one column per class (one for two classes); sets ``classes_``."""
        check_classification_targets(y)
        binarizer = LabelBinarizer(neg_label=-1, pos_label=1)
        Y = binarizer.fit_transform(y).astype(np.float64)
        self.classes_ = binarizer.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; got 1 class: "
                f"{self.classes_}.")
        return Y

    def decision_function(self, X):
        """Signed distances to each one-vs-rest hyperplane.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=self._accept_sparse, reset=False,
                          dtype=[np.float64, np.float32, np.float16])
        scores = matmul(X, self.coef_, transpose=True) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Class with the largest decision score."""
        scores = self.decision_function(X)  # checks that the model is fitted
        return labels_from_scores(self.classes_, scores)


class LinearSVM(LinearScoresMixin, ClassifierMixin, BaseEstimator):
    """Linear SVM (one-vs-rest, squared hinge, L2) fitted with L-BFGS.

    Parameters
    ----------
    C : float, default=1.0
        Weight of the summed squared-hinge loss against the L2 penalty, as
        in :class:`~sklearn.svm.LinearSVC`.
    fit_intercept : bool, default=True
        Learn an (unpenalised) intercept per class.
    tol : float, default=1e-4
        L-BFGS stops when the relative decrease of the objective in one
        iteration falls below ``tol * 1e-3`` (scipy's ``ftol``).
    max_iter : int, default=1000
        Maximum L-BFGS iterations.
    n_jobs : int or None, default=None
        Threads that share each pass over the data (joblib semantics:
        ``None`` is one unless a :func:`joblib.parallel_config` says
        otherwise, ``-1`` all cores). Each thread reads its own rows, block
        by block, with single-threaded BLAS. Pays off for large dense data
        (e.g. Fisher vectors) fitted one candidate at a time.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features) or (1, n_features)
        One row per class; a single row for two classes, as in LinearSVC.
    intercept_ : ndarray of shape (n_classes,) or (1,)
    n_iter_ : int
        L-BFGS iterations used.
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LinearSVM(C=1.0).fit(X, y)
    >>> round(clf.score(X, y), 2) > 0.9
    True
    """

    _accept_sparse = "csr"

    _parameter_constraints = {
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": [None, numbers.Integral],
    }

    def __init__(self, C=1.0, fit_intercept=True, tol=1e-4, max_iter=1000, n_jobs=None):
        self.C = C
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the one-vs-rest problems jointly.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : LinearSVM
        """
        X, y = validate_data(self, X, y, accept_sparse="csr",
                             dtype=[np.float64, np.float32, np.float16], y_numeric=False)
        Y = self._binary_targets(y).astype(compute_dtype(X))
        n, d, k = X.shape[0], X.shape[1], Y.shape[1]
        C = float(self.C)
        fit_b = bool(self.fit_intercept)
        step = _block_rows(X)
        n_threads = max(1, min(effective_n_jobs(self.n_jobs), -(-n // step)))
        bounds = np.linspace(0, n, n_threads + 1).astype(int)
        ranges = list(zip(bounds[:-1], bounds[1:]))
        # Dense data: products with a multiple of 8 columns run on OpenBLAS's
        # faster kernels (7 classes -> 8 columns); see _pad_classes.
        k_pad = -(-k // 8) * 8 if k > 4 and not sparse.issparse(X) else k
        Y, W_pad, b_pad = _pad_classes(Y, d, k_pad)

        def fun(theta, pool):
            W_pad[:, :k] = theta[: d * k].reshape(d, k)
            b_pad[:k] = theta[d * k:] if fit_b else 0.0
            value, gW, gb = _blocked_objective(W_pad, b_pad, X, Y, C, ranges, step, pool)
            grad = np.concatenate([gW[:, :k].ravel(), gb[:k] if fit_b else []])
            return value, grad.astype(np.float64)

        theta0 = np.zeros(d * k + (k if fit_b else 0))
        if fit_b:  # start from the best constant: the class frequencies' sign
            theta0[d * k:] = Y[:, :k].mean(axis=0)
        # One BLAS thread: L-BFGS-B's own vector updates are tiny BLAS calls,
        # and OpenBLAS threads spinning on a busy machine made them up to 30x
        # slower; parallelism comes from n_jobs threads over rows (or, in the
        # bench, from fitting candidates side by side).
        bar = progress(desc="LinearSVM L-BFGS", unit="iter", disable=not progress_enabled())
        with bar, threadpool_limits(limits=1, user_api="blas"), \
                ThreadPoolExecutor(n_threads) if n_threads > 1 else nullcontext() as pool:
            res = minimize(fun, theta0, args=(pool,), jac=True, method="L-BFGS-B",
                           callback=lambda *_: bar.update(),
                           options={"maxiter": int(self.max_iter), "gtol": 0.0,
                                    "ftol": float(self.tol) * 1e-3, "maxcor": 20})
        if res.nit >= self.max_iter:
            warnings.warn(
                f"LinearSVM did not converge in max_iter={self.max_iter} L-BFGS iterations; "
                "raise max_iter or tol, lower C, or standardise the features.",
                ConvergenceWarning)
        W = res.x[: d * k].reshape(d, k)
        self.coef_ = np.ascontiguousarray(W.T)
        self.intercept_ = res.x[d * k:] if fit_b else np.zeros(k)
        self.n_iter_ = int(res.nit)
        return self
