"""Histogram kernels for bag-of-words features, and an SVM that uses them.

* :func:`intersection_kernel` -- histogram intersection ``sum_f min(x_f, y_f)``.
* chi-squared and linear kernels are scikit-learn's
  (:func:`sklearn.metrics.pairwise.chi2_kernel`,
  :func:`~sklearn.metrics.pairwise.additive_chi2_kernel`,
  :func:`~sklearn.metrics.pairwise.linear_kernel`), re-exported here.
* :func:`weighted_sum_kernel` -- a weighted sum of one kernel per block of
  columns (e.g. per spatial-pyramid level): the fixed-weight "multiple kernel"
  combination of Ionescu, Popescu & Grozea (2013).
* :class:`KernelSVC` -- :class:`sklearn.svm.SVC` on a precomputed Gram matrix
  of any of these kernels.
"""


import warnings
from numbers import Integral
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import (
    additive_chi2_kernel,
    check_pairwise_arrays,
    chi2_kernel,
    linear_kernel,
)
from sklearn.svm import SVC
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from ..utils.scores import labels_from_scores

__all__ = [
    "intersection_kernel",
    "linear_kernel",
    "chi2_kernel",
    "additive_chi2_kernel",
    "weighted_sum_kernel",
    "get_kernel",
    "KernelSVC",
]

# elements of the (rows, cols, features) temporary of the dense min-sum
_BLOCK_ELEMENTS = 1 << 22
#: check_non_negative's ``whom``: "Negative values in data passed to {whom}."
_NON_NEGATIVE = ("{}; histogram kernels need non-negative features (bag-of-words counts "
                 "or frequencies)")
#: kernels defined for non-negative features only
_HISTOGRAM_KERNELS = ("intersection", "chi2", "additive_chi2")


def _is_binary(A):
    data = A.data if sparse.issparse(A) else A
    return bool(np.all((data == 0) | (data == 1)))


def _min_sum_dense(X, Y):
    """``K[i, j] = sum_f min(X[i, f], Y[j, f])`` for dense arrays, blocked."""
    n, d = X.shape
    m = Y.shape[0]
    K = np.empty((n, m), dtype=np.result_type(X.dtype, Y.dtype))
    by = max(1, min(m, _BLOCK_ELEMENTS // max(d, 1)))
    for j in range(0, m, by):
        Yb = Y[j:j + by]
        bx = max(1, _BLOCK_ELEMENTS // max(d * len(Yb), 1))
        for i in range(0, n, bx):
            K[i:i + bx, j:j + by] = np.minimum(X[i:i + bx, None, :], Yb[None, :, :]).sum(axis=2)
    return K


def _min_sum_sparse_rows(X, Y):
    """Same for CSR ``X``: each row only needs Y's columns where it is non-zero."""
    n = X.shape[0]
    Yd = Y.toarray() if sparse.issparse(Y) else Y
    K = np.empty((n, Yd.shape[0]), dtype=np.result_type(X.dtype, Yd.dtype))
    YT = np.ascontiguousarray(Yd.T)  # row gathers of features are contiguous
    for i in range(n):
        lo, hi = X.indptr[i], X.indptr[i + 1]
        if lo == hi:
            K[i] = 0
            continue
        cols = X.indices[lo:hi]
        K[i] = np.minimum(YT[cols], X.data[lo:hi, None]).sum(axis=0)
    return K


def intersection_kernel(X, Y=None):
    """Histogram intersection kernel ``K(x, y) = sum_f min(x_f, y_f)``.

    A positive definite kernel for non-negative features (Swain & Ballard;
    Barla et al. 2003); on 0/1 presence vectors it equals the dot product.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
        Non-negative features (counts, frequencies, presence).
    Y : {array-like, sparse matrix} of shape (n_samples_Y, n_features), default=None
        Second set; None means ``X``.

    Returns
    -------
    K : ndarray of shape (n_samples_X, n_samples_Y)

    Notes
    -----
    Three paths, all exact: when both inputs are 0/1 the kernel is one matrix
    product ``X @ Y.T`` (sparse or dense); when ``X`` is sparse each row only
    visits ``Y``'s columns where that row is non-zero (cost proportional to the
    non-zeros of ``X`` times the rows of ``Y``); otherwise blocked
    ``np.minimum`` sums over all features (about ``n_X * n_Y * n_features``
    operations -- pass bag-of-words features as CSR to get the sparse path).

    Examples
    --------
    >>> import numpy as np
    >>> intersection_kernel(np.array([[1., 2., 0.]]), np.array([[2., 1., 3.], [0., 0., 1.]]))
    array([[2., 0.]])
    """
    X, Y = check_pairwise_arrays(X, Y, accept_sparse="csr")
    check_non_negative(X, _NON_NEGATIVE.format("intersection_kernel as X"))
    if Y is not X:
        check_non_negative(Y, _NON_NEGATIVE.format("intersection_kernel as Y"))
    if _is_binary(X) and (Y is X or _is_binary(Y)):
        K = X @ Y.T
        K = K.toarray() if sparse.issparse(K) else np.asarray(K)
        return K
    if sparse.issparse(X):
        return _min_sum_sparse_rows(X.tocsr(), Y)
    if sparse.issparse(Y):
        return _min_sum_sparse_rows(Y.tocsr(), X).T.copy()
    return _min_sum_dense(X, Y)


def _dense_writeable(A):
    A = A.toarray() if sparse.issparse(A) else np.asarray(A)
    return A if A.flags.writeable else A.copy()


def _chi2(X, Y=None, gamma=1.0):
    # scikit-learn's chi2 kernels need dense, writeable arrays
    return chi2_kernel(_dense_writeable(X), None if Y is None else _dense_writeable(Y),
                       gamma=gamma)


def _additive_chi2(X, Y=None):
    return additive_chi2_kernel(_dense_writeable(X),
                                None if Y is None else _dense_writeable(Y))


_KERNELS = {
    "linear": linear_kernel,
    "intersection": intersection_kernel,
    "chi2": _chi2,
    "additive_chi2": _additive_chi2,
}


def get_kernel(kernel):
    """Kernel function for a name (``'linear'``, ``'intersection'``, ``'chi2'``,
    ``'additive_chi2'``) or a callable ``k(X, Y) -> (n_X, n_Y)`` (returned as is)."""
    if callable(kernel):
        return kernel
    if isinstance(kernel, str) and kernel in _KERNELS:
        return _KERNELS[kernel]
    raise ValueError(f"kernel must be one of {sorted(_KERNELS)} or a callable k(X, Y); "
                     f"got {kernel!r}.")


def _check_blocks(blocks, n_features):
    out = []
    for b in blocks:
        if isinstance(b, slice):
            start, stop, step = b.indices(n_features)
            if step != 1 or stop <= start:
                raise ValueError(f"each block must be a non-empty contiguous slice of the "
                                 f"{n_features} columns; got {b!r}.")
            out.append(slice(start, stop))
        else:
            idx = np.asarray(b)
            if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer) \
                    or idx.min() < -n_features or idx.max() >= n_features:
                raise ValueError(f"each block must be a slice or a 1-D array of column indices "
                                 f"into {n_features} columns; got {b!r}.")
            out.append(idx)
    if not out:
        raise ValueError("blocks must hold at least one block of columns.")
    return out


def weighted_sum_kernel(X, Y=None, *, blocks, weights=None, kernel="linear", kernel_params=None):
    """``K = sum_b weights[b] * kernel(X[:, blocks[b]], Y[:, blocks[b]])``.

    The fixed-weight multiple-kernel combination over feature blocks, e.g.
    one linear kernel per spatial-pyramid level of
    :class:`fer_classic.features.BagOfVisualWords` (``feature_blocks_``).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
    Y : {array-like, sparse matrix} of shape (n_samples_Y, n_features), default=None
    blocks : sequence of slice or of integer index arrays
        Column groups, one kernel each.
    weights : sequence of float or None, default=None
        One weight per block; None means all 1.
    kernel : str or callable, default='linear'
        See :func:`get_kernel`.
    kernel_params : dict or None, default=None
        Extra keyword arguments for the kernel (e.g. ``gamma`` for ``'chi2'``).

    Returns
    -------
    K : ndarray of shape (n_samples_X, n_samples_Y)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1., 0., 1., 1.]])
    >>> weighted_sum_kernel(X, blocks=[slice(0, 2), slice(2, 4)], weights=[1.0, 0.5])
    array([[2.]])
    """
    X, Y = check_pairwise_arrays(X, Y, accept_sparse="csr")
    blocks = _check_blocks(blocks, X.shape[1])
    if weights is None:
        weights = [1.0] * len(blocks)
    weights = [float(w) for w in weights]
    if len(weights) != len(blocks):
        raise ValueError(f"weights must have one entry per block ({len(blocks)}); "
                         f"got {len(weights)}.")
    fn = get_kernel(kernel)
    params = kernel_params or {}
    K = None
    for b, w in zip(blocks, weights):
        if w == 0:
            continue
        Kb = np.asarray(fn(X[:, b], Y[:, b], **params), dtype=np.float64)
        K = w * Kb if K is None else K + w * Kb
    if K is None:
        K = np.zeros((X.shape[0], Y.shape[0]))
    return K


class _BinarySVM(NamedTuple):
    """A binary SVM on a precomputed kernel, with SVC's names and signs."""

    support_: np.ndarray
    dual_coef_: np.ndarray  # (1, n_SV): positive scores mean class 1
    intercept_: np.ndarray  # (1,)
    n_iter_: int


def _fit_binary_svm(svc, K, target, sample_weight=None):
    """Fit ``svc`` (an SVC with a precomputed kernel) on a 0/1 ``target``.

    libsvm is called through scikit-learn's own binding, as ``SVC.fit``
    calls it, without ``SVC.fit``'s input checks: on the 300 x 300 Gram
    matrices of local learning those checks cost several times the solver,
    and one-vs-rest pays them once per class. If the binding is missing or
    its signature changed (it is private to scikit-learn), ``SVC.fit``
    does the work.
    """
    try:
        from sklearn.svm import _libsvm

        _libsvm.set_verbosity_wrap(0)  # libsvm prints its progress unless told not to
        support, _, _, dual_coef, intercept, _, _, status, n_iter = _libsvm.fit(
            np.ascontiguousarray(K, dtype=np.float64), target.astype(np.float64),
            svm_type=0, kernel="precomputed", C=float(svc.C), tol=float(svc.tol),
            cache_size=float(svc.cache_size), max_iter=int(svc.max_iter),
            sample_weight=(np.empty(0) if sample_weight is None
                           else np.asarray(sample_weight, dtype=np.float64)),
            class_weight=np.empty(0), shrinking=int(svc.shrinking), probability=0,
            random_seed=0)
    except (ImportError, AttributeError, TypeError, ValueError):
        fitted = clone(svc).fit(K, target, sample_weight=sample_weight)
        return _BinarySVM(fitted.support_, fitted.dual_coef_, fitted.intercept_,
                          int(np.ravel(fitted.n_iter_)[0]))
    if status == 1:
        warnings.warn(f"Solver terminated early (max_iter={svc.max_iter}).", ConvergenceWarning)
    # libsvm scores the first class positive; SVC flips binary models so
    # that positive means class 1, and so do we
    return _BinarySVM(np.asarray(support, dtype=np.intp), -np.asarray(dual_coef),
                      -np.asarray(intercept), int(np.ravel(n_iter)[0]))


class KernelSVC(ClassifierMixin, BaseEstimator):
    """SVM classifier with a histogram (or any) kernel via a precomputed Gram matrix.

    Wraps :class:`sklearn.svm.SVC` with ``kernel='precomputed'``: ``fit``
    computes the training Gram matrix with the chosen kernel (optionally the
    weighted sum over feature blocks), and prediction computes the kernel
    only against the support vectors (the other training columns are never
    used by the SVM), in chunks of test rows.

    Parameters
    ----------
    kernel : str or callable, default='intersection'
        ``'linear'``, ``'intersection'``, ``'chi2'``, ``'additive_chi2'`` or
        ``k(X, Y) -> ndarray``.
    C : float, default=1.0
        SVM regularisation.
    multi_class : {'ovr', 'ovo'}, default='ovr'
        ``'ovr'``: one binary SVM per class against the rest
        (:class:`~sklearn.multiclass.OneVsRestClassifier`, decision values are
        the per-class margins; the scheme of Ionescu et al. 2013);
        ``'ovo'``: libsvm's native one-vs-one (faster to train, about 4x at
        200 samples and 7 classes).
    kernel_params : dict or None, default=None
        Keyword arguments for the kernel (e.g. ``{'gamma': 0.5}`` for chi2).
    blocks : sequence of slice or None, default=None
        If given, the kernel is :func:`weighted_sum_kernel` over these column
        blocks (e.g. ``BagOfVisualWords.feature_blocks_``).
    block_weights : sequence of float or None, default=None
        Weights of the blocks (None: all 1).
    class_weight, tol, cache_size, max_iter
        Passed to :class:`sklearn.svm.SVC`.
    decision_function_shape, break_ties
        Passed to :class:`sklearn.svm.SVC` (``multi_class='ovo'`` only).
    random_state : int, RandomState instance or None, default=None
        Passed to SVC (only matters for its probability calibration, unused).
    predict_chunk_size : int, default=1024
        Test rows per kernel block at prediction time.

    Attributes
    ----------
    estimators_ : list
        The fitted SVMs on the precomputed kernel: for ``'ovr'`` with more
        than two classes, one per class (class against the rest), each with
        the fitted attributes of a binary SVC (``support_``, ``dual_coef_``,
        ``intercept_``, ``n_iter_``); else a single SVC.
    svc_ : SVC or None
        The single SVM (``'ovo'`` or binary problems), else None.
    support_vectors_ : ndarray or sparse matrix of shape (n_SV, n_features)
    support_ : ndarray of shape (n_SV,)
        Indices in the training set of the support vectors (of any of the
        binary SVMs for ``'ovr'``).
    classes_ : ndarray of shape (n_classes,)
    n_iter_ : ndarray
        SMO iterations of each binary SVM (from ``svc_``).
    n_features_in_ : int

    Notes
    -----
    ``SVC(kernel=callable)`` gives the same one-vs-one model at the same
    training cost (it too builds the full Gram matrix), but evaluates the
    callable against *all* training samples at prediction time; this
    wrapper only computes the support-vector columns, so prediction is
    cheaper by the fraction of training samples that are not support vectors
    (on 2,000 x 5,000 random presence vectors, where every sample is a
    support vector, both took the same time). It also adds one-vs-rest
    training and per-block kernel weights.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 6)); y = (X[:, 0] > 0.5).astype(int)
    >>> clf = KernelSVC(kernel="intersection", C=10.0).fit(X, y)
    >>> float(clf.score(X, y)) > 0.9
    True
    """

    _parameter_constraints = {
        "kernel": [StrOptions(set(_KERNELS)), callable],
        "multi_class": [StrOptions({"ovr", "ovo"})],
        "kernel_params": [dict, None],
        "blocks": ["array-like", None],
        "block_weights": ["array-like", None],
        # the parameters handed to SVC, as SVC constrains them
        **{name: SVC._parameter_constraints[name]
           for name in ("C", "class_weight", "tol", "cache_size", "max_iter",
                        "decision_function_shape", "break_ties", "random_state")},
        "predict_chunk_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, kernel="intersection", C=1.0, multi_class="ovr", kernel_params=None,
                 blocks=None, block_weights=None, class_weight=None, tol=1e-3, cache_size=200,
                 max_iter=-1, decision_function_shape="ovr", break_ties=False,
                 random_state=None, predict_chunk_size=1024):
        self.kernel = kernel
        self.C = C
        self.multi_class = multi_class
        self.kernel_params = kernel_params
        self.blocks = blocks
        self.block_weights = block_weights
        self.class_weight = class_weight
        self.tol = tol
        self.cache_size = cache_size
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.break_ties = break_ties
        self.random_state = random_state
        self.predict_chunk_size = predict_chunk_size

    def _check_non_negative(self, X):
        if self.kernel in _HISTOGRAM_KERNELS:
            check_non_negative(X, _NON_NEGATIVE.format(f"KernelSVC(kernel={self.kernel!r})"))

    def _gram(self, X, Y):
        if self.blocks is not None:
            return weighted_sum_kernel(X, Y, blocks=self.blocks, weights=self.block_weights,
                                       kernel=self.kernel, kernel_params=self.kernel_params)
        K = get_kernel(self.kernel)(X, Y, **(self.kernel_params or {}))
        K = K.toarray() if sparse.issparse(K) else np.asarray(K)
        return K.astype(np.float64, copy=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the SVM on the training Gram matrix.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : KernelSVC
        """
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self._check_non_negative(X)
        K = self._gram(X, X)
        svc = SVC(kernel="precomputed", C=self.C, class_weight=self.class_weight,
                  tol=self.tol, cache_size=self.cache_size, max_iter=self.max_iter,
                  decision_function_shape=self.decision_function_shape,
                  break_ties=self.break_ties, random_state=self.random_state)
        self.classes_, y_codes = np.unique(y, return_inverse=True)
        if self.multi_class == "ovr" and len(self.classes_) > 2:
            # one SVM per class; class weights become sample weights so that
            # they keep referring to the original classes
            weights = (None if self.class_weight is None
                       else compute_sample_weight(self.class_weight, y))
            svc.set_params(class_weight=None)
            self.estimators_ = [_fit_binary_svm(svc, K, (y_codes == k).astype(int), weights)
                                for k in range(len(self.classes_))]
            self.svc_ = None
            self.support_ = np.unique(np.concatenate([e.support_ for e in self.estimators_]))
            self.n_iter_ = np.array([e.n_iter_ for e in self.estimators_])
        else:  # 'ovo', or two classes (a single SVM either way)
            self.svc_ = svc.fit(K, y)
            self.estimators_ = [self.svc_]
            self.support_ = self.svc_.support_
            self.n_iter_ = self.svc_.n_iter_
        # every sample a support vector (usual for small, high-dimensional
        # local-learning fits): keep X rather than copy it row by row
        all_rows = len(self.support_) == X.shape[0]
        self.support_vectors_ = X if all_rows else X[self.support_]
        self._n_fit = X.shape[0]
        return self

    def _test_kernel_blocks(self, X):
        """Yield full-width test kernels (support-vector columns filled) by chunk."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                          reset=False)
        self._check_non_negative(X)
        for start in range(0, X.shape[0], self.predict_chunk_size):
            Xc = X[start:start + self.predict_chunk_size]
            K = np.zeros((Xc.shape[0], self._n_fit))
            K[:, self.support_] = self._gram(Xc, self.support_vectors_)
            yield K

    def _decision(self, K):
        if self.svc_ is not None:
            return self.svc_.decision_function(K)
        # each binary SVM's margin from its dual coefficients: what
        # SVC.decision_function computes, without its per-call input checks
        # (a local learner calls this thousands of times on tiny kernels)
        return np.column_stack([K[:, e.support_] @ e.dual_coef_[0] + e.intercept_[0]
                                for e in self.estimators_])

    def linear_coef(self):
        """Primal weights of a linear-kernel model: its margins as ``X @ coef.T + intercept``.

        With ``kernel='linear'`` (and no ``blocks``), each binary SVM's margin
        is a sum of dual coefficients times dot products with its support
        vectors, that is a dot product with one weight vector: this returns
        those vectors, so that the model can be kept without its support
        vectors.

        Returns
        -------
        coef : ndarray of shape (n_classes, n_features), or (1, n_features) for two classes
        intercept : ndarray of shape (n_classes,) or (1,)
            ``X @ coef.T + intercept`` equals :meth:`decision_function` (up
            to float rounding; ``'ovr'`` or two classes only).

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(30, 4)); y = np.arange(30) % 3
        >>> svm = KernelSVC(kernel="linear").fit(X, y)
        >>> coef, intercept = svm.linear_coef()
        >>> bool(np.allclose(X @ coef.T + intercept, svm.decision_function(X)))
        True
        """
        check_is_fitted(self)
        if self.kernel != "linear" or self.blocks is not None:
            raise ValueError(f"linear_coef() needs kernel='linear' without blocks; this "
                             f"model has kernel={self.kernel!r}, blocks={self.blocks!r}.")
        if self.svc_ is not None and len(self.classes_) > 2:
            raise ValueError("linear_coef() needs multi_class='ovr' (one-vs-one models "
                             "vote, their scores are no margins).")
        coef, intercept = [], []
        order = np.argsort(self.support_)  # libsvm lists support vectors by class
        for e in self.estimators_:
            rows = order[np.searchsorted(self.support_[order], e.support_)]
            sv = self.support_vectors_[rows]
            w = sv.T @ np.ravel(e.dual_coef_[0] if e.dual_coef_.ndim > 1 else e.dual_coef_)
            coef.append(np.ravel(w))
            intercept.append(float(np.ravel(e.intercept_)[0]))
        return np.vstack(coef), np.array(intercept)

    def decision_function(self, X):
        """Decision values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            ``'ovr'``: each class's SVM margin; ``'ovo'``: as
            :meth:`sklearn.svm.SVC.decision_function`; binary problems give
            the margin of ``classes_[1]``, shape ``(n_samples,)``.
        """
        return np.concatenate([self._decision(K) for K in self._test_kernel_blocks(X)])

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        parts = []
        for K in self._test_kernel_blocks(X):
            if self.svc_ is not None:
                parts.append(self.svc_.predict(K))
            else:
                parts.append(labels_from_scores(self.classes_, self._decision(K)))
        return np.concatenate(parts)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.kernel in _HISTOGRAM_KERNELS
        return tags
