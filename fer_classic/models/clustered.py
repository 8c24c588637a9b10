"""Local learning with its local models fitted in advance, one per cluster.

:class:`~fer_classic.models.LocalLearningClassifier` fits a classifier on the
neighbours of every sample it classifies: accurate, but it keeps the whole
training set and fits one SVM per prediction. Here the training set is split
into clusters (k-means on a PCA projection of a sample of it) and one linear
model is fitted, at ``fit`` time, on the ``n_neighbors`` training samples
nearest to each cluster's centre. A sample is then scored by the local model
of its nearest centre (or the mean of its ``n_experts`` nearest), plus,
optionally, the weighted scores of one model fitted on the whole training
set. The fitted model is the centres and one weight vector per class and
cluster: its size and speed do not grow with the training set.
"""

import numbers

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ..utils.blockwise import as_compute, matmul
from ..utils.progress import progress, progress_enabled
from ..utils.scores import labels_from_scores
from .kernels import KernelSVC
from .local import LocalGlobalMixin, local_neighbors, validate_local_estimator

__all__ = ["ClusteredLocalClassifier", "cluster_centres"]

_DTYPES = {"float32": np.float32, "float16": np.float16}


def cluster_centres(X, n_clusters, *, n_samples=20_000, n_components=256, random_state=None):
    """Unit-length centres of ``n_clusters`` k-means clusters of the rows of ``X``.

    k-means runs on a PCA projection (``n_components`` dimensions) of
    ``n_samples`` rows drawn at random; each centre is the mean of its
    cluster's rows in the original space, scaled to unit length, so that the
    nearest centre by dot product is the one at the smallest angle.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        float16 rows are converted block by block.
    n_clusters : int
        At most the number of rows sampled.
    n_samples : int, default=20_000
    n_components : int, default=256
    random_state : int, RandomState instance or None

    Returns
    -------
    centres : ndarray of shape (n_clusters, d), float32

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.tile([1.0, 0.0], (5, 1)), np.tile([0.0, 2.0], (5, 1))]
    >>> centres = cluster_centres(X, 2, random_state=0)
    >>> sorted(np.round(centres, 6).tolist())
    [[0.0, 1.0], [1.0, 0.0]]
    """
    rng = check_random_state(random_state)
    n = X.shape[0]
    rows = np.sort(rng.choice(n, min(n, int(n_samples)), replace=False))
    sample = np.asarray(as_compute(X[rows]), dtype=np.float32)
    k = min(int(n_components), *sample.shape)
    seed = rng.randint(np.iinfo(np.int32).max)
    codes = PCA(k, svd_solver="randomized" if k < min(sample.shape) else "full",
                random_state=seed).fit_transform(sample) if k < sample.shape[1] else sample
    labels = MiniBatchKMeans(n_clusters, n_init=1, batch_size=4096,
                             random_state=seed).fit_predict(codes)
    centres = np.zeros((n_clusters, X.shape[1]), dtype=np.float32)
    np.add.at(centres, labels, sample)
    empty = np.bincount(labels, minlength=n_clusters) == 0
    centres[empty] = sample[rng.choice(len(sample), int(empty.sum()), replace=False)]
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    return centres


def _local_model(estimator, X, codes, n_classes):
    """``(coef (n_classes, d), intercept (n_classes,))`` of a linear model fit on ``X``.

    Classes absent from ``codes`` get a NaN intercept (scored below every
    present class at prediction time); a unanimous neighbourhood gives +1 for
    its class and -1 for the others, as in local learning.
    """
    coef = np.zeros((n_classes, X.shape[1]), dtype=np.float32)
    intercept = np.full(n_classes, np.nan)
    present = np.unique(codes)
    if len(present) == 1:
        intercept[:] = -1.0
        intercept[present[0]] = 1.0
        return coef, intercept
    est = clone(estimator).fit(X, codes)
    if hasattr(est, "linear_coef"):
        w, b = est.linear_coef()
    else:
        w, b = est.coef_, est.intercept_
    w, b = np.atleast_2d(w), np.ravel(b)
    local = np.asarray(est.classes_)
    if len(local) == 2 and len(w) == 1:  # one margin s for the second class: (-s, s)
        w, b = np.vstack([-w, w]), np.r_[-b, b]
    coef[local] = w
    intercept[local] = b
    return coef, intercept


def _fit_models(estimator, X, codes, neighbors, n_classes):
    with config_context(assume_finite=True, skip_parameter_validation=True):
        return [_local_model(estimator, as_compute(X[idx]), codes[idx], n_classes)
                for idx in (np.sort(nb) for nb in neighbors)]


class ClusteredLocalClassifier(LocalGlobalMixin, ClassifierMixin, BaseEstimator):
    """Local linear models fitted in advance around cluster centres.

    ``fit`` finds ``n_clusters`` centres (:func:`cluster_centres`) and fits
    ``estimator`` on the ``n_neighbors`` training samples with the largest
    dot product with each centre; it keeps each local model's weights, not
    the training set. A sample is scored by the mean of the local models of
    its ``n_experts`` nearest centres (largest dot product), plus
    ``global_weight`` times the scores of ``global_estimator`` fitted on
    the whole training set.

    Parameters
    ----------
    n_clusters : int, default=256
        Local models. Capped at the number of rows sampled to find them.
    n_neighbors : int, default=300
        Training samples each local model is fitted on (capped at the
        training set's size).
    estimator : classifier or None, default=None
        The local model: linear, with ``linear_coef()`` (as
        :class:`~fer_classic.models.KernelSVC` with ``kernel='linear'``) or
        ``coef_`` and ``intercept_`` (e.g. :class:`sklearn.svm.LinearSVC`).
        None: ``KernelSVC(kernel='linear', C=1.0, multi_class='ovr')``, the
        local model of :class:`~fer_classic.models.LocalLearningClassifier`.
    n_experts : int, default=1
        Local models that score each sample, averaged.
    cluster_samples : int, default=20_000
        Training rows sampled to find the clusters.
    cluster_components : int, default=256
        PCA dimensions the clusters are found in.
    global_estimator : classifier or None, default=None
        A model fitted on the whole training set whose scores (its
        ``decision_function``, else ``predict_proba``), times
        ``global_weight``, are added to the local ones.
    global_weight : float, default=1.0
    local_views : {'first', 'all'}, default='first'
        In :meth:`paired_decision_function` (a sample and its mirror image):
        the local models score the first view only, or the mean of both;
        the global model scores the mean of both either way.
    dtype : {'float32', 'float16'}, default='float32'
        Storage of the centres and local weights (``'float16'`` halves the
        model; scores are computed in float32).
    n_jobs : int or None, default=None
        Threads fitting the local models.
    random_state : int, RandomState instance or None, default=0
        Seeds the sample, the PCA and k-means.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    centres_ : ndarray of shape (n_clusters_, n_features)
        Unit-length cluster centres.
    coef_ : ndarray of shape (n_clusters_, n_classes, n_features)
        Weights of each local model, class by class.
    intercept_ : ndarray of shape (n_clusters_, n_classes)
        Their intercepts; NaN for the classes absent from a neighbourhood.
    n_clusters_, n_neighbors_ : int
        The effective numbers.
    global_estimator_ : classifier or None
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 5)); y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> clf = ClusteredLocalClassifier(n_clusters=8, n_neighbors=40).fit(X, y)
    >>> clf.coef_.shape
    (8, 2, 5)
    >>> float(clf.score(X, y)) > 0.7
    True
    """

    _parameter_constraints = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "estimator": [None, HasMethods(["fit"])],
        "n_experts": [Interval(numbers.Integral, 1, None, closed="left")],
        "cluster_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "cluster_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "global_estimator": [None, HasMethods(["fit"])],
        "global_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "local_views": [StrOptions({"first", "all"})],
        "dtype": [StrOptions(set(_DTYPES))],
        "n_jobs": [None, numbers.Integral],
        "random_state": ["random_state"],
    }

    def __init__(self, n_clusters=256, n_neighbors=300, *, estimator=None, n_experts=1,
                 cluster_samples=20_000, cluster_components=256, global_estimator=None,
                 global_weight=1.0, local_views="first", dtype="float32", n_jobs=None,
                 random_state=0):
        self.n_clusters = n_clusters
        self.n_neighbors = n_neighbors
        self.estimator = estimator
        self.n_experts = n_experts
        self.cluster_samples = cluster_samples
        self.cluster_components = cluster_components
        self.global_estimator = global_estimator
        self.global_weight = global_weight
        self.local_views = local_views
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)  # estimators validate their own
    def fit(self, X, y):
        """Find the clusters, fit a local model around each (and the global model).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            float16 input is kept as it is and converted block by block.
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : ClusteredLocalClassifier
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32, np.float16])
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        n = X.shape[0]
        self.n_clusters_ = min(self.n_clusters, self.cluster_samples, n)
        self.n_neighbors_ = min(self.n_neighbors, n)
        dtype = _DTYPES[self.dtype]
        centres = cluster_centres(X, self.n_clusters_, n_samples=self.cluster_samples,
                                  n_components=self.cluster_components,
                                  random_state=self.random_state)
        neighbors = local_neighbors(X, centres, self.n_neighbors_, metric="linear")
        estimator = (KernelSVC(kernel="linear", C=1.0, multi_class="ovr")
                     if self.estimator is None else validate_local_estimator(self.estimator))
        n_jobs = max(1, min(effective_n_jobs(self.n_jobs), self.n_clusters_))
        bounds = np.linspace(0, self.n_clusters_, 4 * n_jobs + 1).astype(int)
        batches = [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        models = []
        bar = progress(total=self.n_clusters_, desc="local models", unit="cluster",
                       disable=not progress_enabled())
        # one BLAS thread per worker: the local fits run side by side
        with bar, threadpool_limits(limits=1 if n_jobs > 1 else None, user_api="blas"):
            for part in Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
                    delayed(_fit_models)(estimator, X, codes, neighbors[a:b], n_classes)
                    for a, b in batches):
                models += part
                bar.update(len(part))
        self.centres_ = centres.astype(dtype)
        self.coef_ = np.stack([m[0] for m in models]).astype(dtype)
        self.intercept_ = np.stack([m[1] for m in models])
        self._fit_global(X, y)
        return self

    def nearest_clusters(self, X):
        """Indices ``(n_samples, n_experts)`` of each sample's nearest centres, nearest first."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32, np.float16], reset=False)
        return self._nearest(X)

    def _nearest(self, X):
        sims = matmul(X, self.centres_, transpose=True)
        m = min(self.n_experts, self.n_clusters_)
        top = np.argpartition(-sims, m - 1, axis=1)[:, :m] if m < sims.shape[1] else \
            np.broadcast_to(np.arange(sims.shape[1]), sims.shape)
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)

    def _local(self, X):
        nearest = self._nearest(X)
        scores = np.zeros((X.shape[0], len(self.classes_)))
        for rank in range(nearest.shape[1]):
            for c in np.unique(nearest[:, rank]):
                rows = np.flatnonzero(nearest[:, rank] == c)
                b = self.intercept_[c]
                present = ~np.isnan(b)
                s = matmul(X[rows], self.coef_[c], transpose=True) + np.where(present, b, 0.0)
                # absent classes: just below the lowest present score, as in
                # LocalLearningClassifier
                low = np.where(present, s, np.inf).min(axis=1, keepdims=True) - 1.0
                scores[rows] += np.where(present, s, low)
        return scores / nearest.shape[1]

    def _scores(self, X, *others):
        check_is_fitted(self)
        views = [validate_data(self, V, dtype=[np.float64, np.float32, np.float16],
                               reset=False) for V in (X, *others)]
        return self._local_global_scores(self._local, views)

    def decision_function(self, X):
        """Local scores (plus the weighted global ones).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
        """
        return self._output(self._scores(X))

    def paired_decision_function(self, X, X_paired):
        """Scores of samples given with a second view of each (their mirror images).

        As :meth:`LocalLearningClassifier.paired_decision_function
        <fer_classic.models.LocalLearningClassifier.paired_decision_function>`:
        the local scores of ``X`` (``local_views='first'``) or their mean over
        both views (``'all'``), plus ``global_weight`` times the global
        model's scores averaged over both views.
        """
        return self._output(self._scores(X, X_paired))

    def predict(self, X):
        """Class with the largest score."""
        scores = self._scores(X)  # checks that the model is fitted
        return labels_from_scores(self.classes_, scores)
