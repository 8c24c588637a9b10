"""Local learning: one small classifier per test sample, trained on its neighbours.

Bottou & Vapnik's local learning (1992), as used for facial expressions by
Ionescu, Popescu & Grozea (2013): for each test face, the ``k`` nearest
training faces are selected and a classifier (a one-vs-rest linear SVM by
default) trained on just those predicts that one face. Optionally, the
weighted scores of one model trained on all faces are added to the local
ones (``global_estimator``).
"""


import numbers
from contextlib import nullcontext

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy import sparse
from sklearn import config_context, get_config
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data
from threadpoolctl import threadpool_limits

from ..utils.blockwise import as_compute, matmul
from ..utils.mapped import release
from ..utils.progress import progress, progress_enabled
from ..utils.scores import (classifier_scores, labels_from_scores, local_global_scores,
                            score_method)
from .kernels import KernelSVC, intersection_kernel

__all__ = ["LocalGlobalMixin", "LocalLearningClassifier", "local_neighbors",
           "validate_local_estimator"]

_SIMILARITIES = ("intersection", "linear")
#: check_non_negative's ``whom``: "Negative values in data passed to {whom}."
_INTERSECTION = ("LocalLearningClassifier with metric='intersection'; the histogram "
                 "intersection needs non-negative features")


def _similarity(X, Y, metric):
    if metric == "intersection":
        return intersection_kernel(X, Y)
    if not sparse.issparse(Y) and Y.dtype == np.float16:
        # the training rows converted block by block (BLAS has no float16)
        X = X.toarray() if sparse.issparse(X) else X
        return matmul(Y, as_compute(X), transpose=True).T
    K = X @ Y.T
    return K.toarray() if sparse.issparse(K) else np.asarray(K)


def local_neighbors(X_train, X, n_neighbors, *, metric="euclidean", metric_params=None,
                    chunk_size=512, n_jobs=None):
    """Indices of the ``n_neighbors`` nearest training rows of every row of ``X``.

    Parameters
    ----------
    X_train : {ndarray, sparse matrix} of shape (n_train, n_features)
    X : {ndarray, sparse matrix} of shape (n, n_features)
    n_neighbors : int
        At most ``n_train``.
    metric : str or callable, default='euclidean'
        Any :class:`~sklearn.neighbors.NearestNeighbors` metric, or a
        similarity: ``'intersection'`` (histogram intersection) or
        ``'linear'`` (dot product), largest first.
    metric_params : dict or None
        For NearestNeighbors metrics.
    chunk_size : int, default=512
        Rows of ``X`` per similarity block (similarity metrics only).
    n_jobs : int or None
        For NearestNeighbors.

    Returns
    -------
    indices : ndarray of shape (n, n_neighbors), dtype intp
        Nearest first.

    Examples
    --------
    >>> import numpy as np
    >>> local_neighbors(np.array([[0.], [10.], [1.]]), np.array([[0.2]]), 2)
    array([[0, 2]])
    """
    if metric in _SIMILARITIES:
        out = np.empty((X.shape[0], n_neighbors), dtype=np.intp)
        n_train = X_train.shape[0]
        for start in range(0, X.shape[0], chunk_size):
            S = _similarity(X[start:start + chunk_size], X_train, metric)
            if n_neighbors < n_train:
                part = np.argpartition(-S, n_neighbors - 1, axis=1)[:, :n_neighbors]
                part.sort(axis=1)
            else:
                part = np.broadcast_to(np.arange(n_train), S.shape)
            s = np.take_along_axis(S, part, axis=1)
            # most similar first, ties by training index (stable sort)
            keys = np.argsort(-s, axis=1, kind="stable")
            out[start:start + len(S)] = np.take_along_axis(part, keys, axis=1)
        return out
    nn = NearestNeighbors(n_neighbors=n_neighbors, metric=metric, metric_params=metric_params,
                          algorithm="brute", n_jobs=n_jobs).fit(X_train)
    return nn.kneighbors(X, return_distance=False)


def validate_local_estimator(estimator):
    """Check a local model's parameters once, before the local fits that skip it.

    The local fits run with scikit-learn's parameter validation switched off
    (thousands of small fits); a scikit-learn estimator's parameters are
    checked here instead (unless validation is switched off globally).

    Parameters
    ----------
    estimator : estimator
        The unfitted local model.

    Returns
    -------
    estimator : estimator
        The same object.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        A ``ValueError`` naming the parameter, when one is invalid.

    Examples
    --------
    >>> from sklearn.svm import LinearSVC
    >>> try:
    ...     validate_local_estimator(LinearSVC(C=-1.0))
    ... except ValueError as exc:
    ...     print(str(exc).split(" must")[0])
    The 'C' parameter of LinearSVC
    """
    if hasattr(estimator, "_parameter_constraints") and \
            not get_config()["skip_parameter_validation"]:
        estimator._validate_params()
    return estimator


def _local_scores(est, x, n_classes):
    """Scores ``(n_classes,)`` of one sample from a classifier fit on global codes.

    ``est`` was fit on labels encoded 0..n_classes-1 (a subset may be
    present); classes it never saw get ``min(score of present classes) - 1``.
    """
    present = est.classes_
    if score_method(est) is None:
        s = (present == est.predict(x)[0]).astype(np.float64)
    else:  # classifier_scores, a binary margin s as (-s, s)
        s = classifier_scores(est, x, per_class=True).ravel()
    out = np.full(n_classes, s.min() - 1.0)
    out[present] = s
    return out


#: Training sets this large are shared by threads rather than copied to processes.
_THREADS_FROM_BYTES = 2**30


def _nbytes(X):
    if sparse.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return np.asarray(X).nbytes


def _predict_batch(estimator, X_train, y_codes, neighbors, X, n_classes):
    """Local fits for a batch of test rows; returns ``(len(X), n_classes)`` scores."""
    # the data were validated once by the caller: skip scikit-learn's
    # per-call parameter validation and finiteness checks in the local fits
    with config_context(assume_finite=True, skip_parameter_validation=True):
        return _predict_batch_unchecked(estimator, X_train, y_codes, neighbors, X, n_classes)


def _predict_batch_unchecked(estimator, X_train, y_codes, neighbors, X, n_classes):
    scores = np.empty((X.shape[0], n_classes))
    for i in range(X.shape[0]):
        idx = np.sort(neighbors[i])  # training order: k = n_train gives the global fit
        labels = y_codes[idx]
        first = labels[0]
        if np.all(labels == first):
            scores[i] = -1.0
            scores[i, first] = 1.0
            continue
        neighbours = as_compute(X_train[idx])
        release(X_train)  # a memory-mapped training set: the pages just read leave memory
        est = clone(estimator).fit(neighbours, labels)
        scores[i] = _local_scores(est, as_compute(X[i:i + 1]), n_classes)
    return scores


class LocalGlobalMixin:
    """The global model and the scores that the local learners share.

    :class:`LocalLearningClassifier` and
    :class:`~fer_classic.models.ClusteredLocalClassifier` have the
    parameters ``global_estimator``, ``global_weight`` and ``local_views``:
    their scores are the local models' plus ``global_weight`` times the
    global classifier's, by the one rule of
    :func:`~fer_classic.utils.scores.local_global_scores`.
    """

    def _fit_global(self, X, y):
        """Fit a clone of ``global_estimator`` as ``global_estimator_`` (None without one)."""
        self.global_estimator_ = None
        if self.global_estimator is not None:
            self.global_estimator_ = clone(self.global_estimator).fit(X, y)

    def _local_global_scores(self, local, views):
        """Scores ``(n, n_classes)`` of ``local(V)`` over ``views`` plus the global model's."""
        return local_global_scores(local, views, local_views=self.local_views,
                                   global_estimator=self.global_estimator_,
                                   global_weight=self.global_weight)

    def _output(self, scores):
        """``decision_function``'s shape: the margin of ``classes_[1]`` for two classes."""
        return 0.5 * (scores[:, 1] - scores[:, 0]) if len(self.classes_) == 2 else scores


class LocalLearningClassifier(LocalGlobalMixin, ClassifierMixin, BaseEstimator):
    """Classify each sample with a model trained on its nearest training samples.

    ``fit`` only stores the training set. For every sample to classify,
    ``predict`` / ``decision_function`` select its ``n_neighbors`` nearest
    training samples; if they all have the same label that label is
    predicted, otherwise a clone of ``estimator`` is fit on them (in
    training-set order) and classifies the sample. The samples are split
    into a few batches per job and run in parallel with joblib.

    Parameters
    ----------
    n_neighbors : int, default=200
        Neighbourhood size ``k``; capped at the number of training samples
        (so ``n_neighbors >= n_train`` reproduces the global model).
    metric : str or callable, default='euclidean'
        Neighbour metric: anything :class:`~sklearn.neighbors.NearestNeighbors`
        accepts (``'euclidean'``, ``'cosine'``, ``'manhattan'``, callables...)
        or a similarity, largest first: ``'intersection'`` (histogram
        intersection, non-negative features) or ``'linear'`` (dot product).
    metric_params : dict or None, default=None
        Extra arguments of a NearestNeighbors metric.
    estimator : classifier or None, default=None
        Local model; None means a one-vs-rest linear SVM solved in the dual
        on the local Gram matrix, ``KernelSVC(kernel='linear', C=1.0,
        multi_class='ovr')`` (the paper's one-vs-all SVM on a linear kernel;
        3-4x faster than ``LinearSVC`` when ``k`` is smaller than the number
        of features). Any classifier works, e.g. ``LinearSVC()`` or
        ``KernelSVC(kernel='intersection', blocks=..., block_weights=...)``;
        scores come from its ``decision_function``, else ``predict_proba``,
        else a one-hot of ``predict``.
    n_jobs : int or None, default=None
        Parallel jobs over batches of samples. Worker processes (joblib's
        default) for training sets under 1 GB, whose small local fits spend
        part of their time in Python under the GIL; threads above, where the
        local fits and kernel products are large (they release the GIL) and
        the training set is shared instead of copied to every worker
        (gigabytes for Fisher vectors). A backend set with
        :func:`joblib.parallel_config` (e.g. Dask) takes precedence.
    batches_per_job : int, default=4
        Batches handed to each job (few large batches keep joblib's overhead
        small; more balance uneven fit times).
    global_estimator : classifier or None, default=None
        A model fit once on the whole training set whose scores, times
        ``global_weight``, are added to the local scores: the local models
        correct a global one where the neighbourhood says more. Scores come
        from its ``decision_function``, else ``predict_proba``; a binary
        ``decision_function`` ``s`` counts as ``(-s, s)``. None: local
        scores alone.
    global_weight : float, default=1.0
        Weight of the global scores (ignored without ``global_estimator``).
    local_views : {'all', 'first'}, default='all'
        Which views of a sample local learning scores in
        :meth:`paired_decision_function` (a face and its mirror image, as
        :class:`~fer_classic.models.MirrorClassifier` and
        ``run_protocol(mirror_test=True)`` pass them): ``'all'``, each view
        with its own neighbours and local model, scores averaged (two local
        fits per sample); ``'first'``, the first view only (one local fit),
        while the global model still averages both views: half the cost.
    transformer : transformer or None, default=None
        Fitted on the training set and applied to every sample before the
        neighbour search and the local fits (the global model sees the
        samples as given). With a compact code, e.g.
        :class:`~fer_classic.features.SampledPCA`, the fitted model keeps
        the training codes instead of the training matrix: megabytes instead
        of gigabytes for Fisher vectors, and a faster search.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    n_neighbors_ : int
        Effective ``k`` (``min(n_neighbors, n_train)``).
    estimator_ : classifier
        The (unfitted) local model template, cloned for every local fit.
        Results are deterministic when it is (seed its ``random_state`` if it
        has one, e.g. ``LinearSVC(random_state=0)``).
    global_estimator_ : classifier or None
        ``global_estimator`` fitted on the whole training set.
    transformer_ : transformer or None
        ``transformer`` fitted on the training set.

    Notes
    -----
    Decision scores, shape ``(n, n_classes)`` aligned with ``classes_``
    when the neighbours disagree, the local model's scores for the classes
    present among them (a binary local model's single score ``s`` becomes
    ``(-s, s)``) and ``min(those scores) - 1`` for the absent classes (always
    ranked last, finite); when all neighbours share one label, +1 for it and
    -1 for every other class. Binary problems return ``(s_1 - s_0) / 2``
    with shape ``(n,)``, which is the local SVM's own score. With a
    ``global_estimator``, ``global_weight`` times its scores are added.

    :meth:`paired_decision_function` scores a sample together with a second
    view of it (its mirror image), as ``local_views`` says.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> clf = LocalLearningClassifier(n_neighbors=20).fit(X, y)
    >>> float(clf.score(X, y)) > 0.9
    True
    """

    _parameter_constraints = {
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "metric": [str, callable],
        "metric_params": [dict, None],
        "estimator": [None, HasMethods(["fit", "predict"])],
        "n_jobs": [None, numbers.Integral],
        "batches_per_job": [Interval(numbers.Integral, 1, None, closed="left")],
        # scores from decision_function, else predict_proba
        "global_estimator": [None, HasMethods(["fit", "decision_function"]),
                             HasMethods(["fit", "predict_proba"])],
        "global_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "local_views": [StrOptions({"all", "first"})],
        "transformer": [None, HasMethods(["fit", "transform"])],
    }

    def __init__(self, n_neighbors=200, metric="euclidean", metric_params=None, estimator=None,
                 n_jobs=None, batches_per_job=4, global_estimator=None, global_weight=1.0,
                 local_views="all", transformer=None):
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.metric_params = metric_params
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.batches_per_job = batches_per_job
        self.global_estimator = global_estimator
        self.global_weight = global_weight
        self.local_views = local_views
        self.transformer = transformer

    @_fit_context(prefer_skip_nested_validation=False)  # estimators validate their own
    def fit(self, X, y):
        """Store the training set (and fit ``global_estimator`` on it).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : LocalLearningClassifier
        """
        X, y = validate_data(self, X, y, accept_sparse="csr")
        check_classification_targets(y)
        self.transformer_ = None
        if self.transformer is not None:
            self.transformer_ = clone(self.transformer).fit(X, y)
        self._X_fit = self._local_input(X)
        self.classes_, codes = np.unique(y, return_inverse=True)
        # the smallest integers that hold the codes: a saved model keeps them
        self._y_codes = codes.astype(np.min_scalar_type(len(self.classes_) - 1))
        self.n_neighbors_ = min(int(self.n_neighbors), X.shape[0])
        if self.estimator is None:
            self.estimator_ = KernelSVC(kernel="linear", C=1.0, multi_class="ovr")
        else:
            self.estimator_ = validate_local_estimator(clone(self.estimator))
        if self.metric not in _SIMILARITIES:
            # fail now, not at predict time, on a metric NearestNeighbors rejects
            NearestNeighbors(metric=self.metric, metric_params=self.metric_params,
                             algorithm="brute").fit(self._X_fit[:1])
        self._fit_global(X, y)
        return self

    def _local_input(self, X):
        """What neighbour search and local fits see of validated rows: their codes."""
        if self.transformer_ is not None:
            X = self.transformer_.transform(X)
        if self.metric == "intersection":
            check_non_negative(X, _INTERSECTION)
        return X

    def kneighbors(self, X):
        """Training indices of the ``n_neighbors_`` nearest samples of each row."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        return self._neighbors(self._local_input(X))

    def _neighbors(self, X):
        return local_neighbors(self._X_fit, X, self.n_neighbors_, metric=self.metric,
                               metric_params=self.metric_params, n_jobs=self.n_jobs)

    def _check_X(self, X):
        return validate_data(self, X, accept_sparse="csr", reset=False)

    def _local_pass(self, X):
        """Local scores ``(n, n_classes)`` of validated rows."""
        X = self._local_input(X)
        neighbors = self._neighbors(X)
        n = X.shape[0]
        n_classes = len(self.classes_)
        n_workers = effective_n_jobs(self.n_jobs)
        n_batches = max(1, min(n, n_workers * self.batches_per_job if n_workers > 1 else 1))
        bounds = np.linspace(0, n, n_batches + 1).astype(int)
        jobs = [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        if len(jobs) == 1:
            return _predict_batch(self.estimator_, self._X_fit, self._y_codes, neighbors,
                                  X, n_classes)
        threads = _nbytes(self._X_fit) >= _THREADS_FROM_BYTES
        # in threads, every worker's Gram products are BLAS calls of their
        # own: one BLAS thread each, not n_jobs x n_cores threads competing
        # for the cores; worker processes are limited by joblib itself
        parts = []
        bar = progress(total=n, desc="local learning", unit="face",
                       disable=not progress_enabled())
        with bar, threadpool_limits(limits=1, user_api="blas") if threads else nullcontext():
            for part in Parallel(n_jobs=self.n_jobs, prefer="threads" if threads else None,
                                 return_as="generator")(
                    delayed(_predict_batch)(self.estimator_, self._X_fit, self._y_codes,
                                            neighbors[a:b], X[a:b], n_classes)
                    for a, b in jobs):
                parts.append(part)
                bar.update(len(part))
        return np.vstack(parts)

    def _scores(self, X, *others):
        """Scores ``(n, n_classes)`` of ``X``, with ``others`` views of the same rows."""
        check_is_fitted(self)
        views = [self._check_X(V) for V in (X, *others)]
        return self._local_global_scores(self._local_pass, views)

    def decision_function(self, X):
        """Local decision scores (see the class Notes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
        """
        return self._output(self._scores(X))

    def paired_decision_function(self, X, X_paired):
        """Mean decision scores of two views of the same samples.

        Row ``i`` of ``X_paired`` is another view of sample ``i`` (its mirror
        image, say). With ``local_views='all'``, the mean of
        :meth:`decision_function` over the two views; with ``'first'``, the
        local scores of ``X`` plus ``global_weight`` times the global model's
        scores averaged over both views (one local fit per sample).

        Parameters
        ----------
        X, X_paired : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            As :meth:`decision_function` returns them.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(60, 4)); y = (X[:, 0] > 0).astype(int)
        >>> clf = LocalLearningClassifier(n_neighbors=20, local_views="first").fit(X, y)
        >>> bool(np.allclose(clf.paired_decision_function(X[:5], -X[:5]),
        ...                  clf.decision_function(X[:5])))
        True
        """
        return self._output(self._scores(X, X_paired))

    def predict(self, X):
        """Class of each sample from its local model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        scores = self._scores(X)  # checks that the model is fitted
        return labels_from_scores(self.classes_, scores)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.metric == "intersection" and self.transformer is None
        return tags
