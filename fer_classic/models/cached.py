"""A classifier whose fit is cached on disk, keyed by its parameters and training data.

Two pipelines of the bench fit the same model on the same features: the
global linear SVM on Fisher vectors is a pipeline of its own
(``sift-fisher-linearsvm``) and the global part of local learning
(``sift-fisher-local+global``), several minutes each.
:class:`CachedClassifier` lets the second fit read the first from a
:class:`joblib.Memory`, as :class:`~sklearn.pipeline.Pipeline` does for its
transformers with its ``memory`` parameter: the key is a hash of the
(unfitted) estimator, ``X`` and ``y``, so any change to one of them fits
again.
"""

import hashlib
import os

import joblib
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_memory

from ..utils.mapped import release
from ..utils.memory import cached_call
from ..utils.scores import estimator_has

__all__ = ["CachedClassifier"]


def _fit_clone(estimator, X, y, data_digest):
    """A clone of ``estimator`` fitted on ``X, y`` (the function ``memory`` caches).

    ``data_digest`` stands for ``X`` in the cache key (see :func:`_digest`).
    """
    return clone(estimator).fit(X, y)


#: Bytes (whole rows) of a dense matrix that _digest hashes at a time.
_DIGEST_BYTES = 2**25


def _digest(X):
    """A hash of ``X``'s type, shape and values, which for a dense array reads it block by block.

    The block's pages are released once hashed
    (:func:`~fer_classic.utils.mapped.release`): hashing a memory-mapped
    feature matrix does not make the process as large as the matrix. A
    memory-mapped array and its copy in memory hash alike.
    """
    if not isinstance(X, np.ndarray) or X.dtype.hasobject or X.ndim == 0 or X.size == 0:
        return joblib.hash(X)
    X = np.asarray(X)  # a memmap as the array it views
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((X.dtype.str, X.shape)).encode())
    rows = max(1, _DIGEST_BYTES // max(1, X[:1].nbytes))
    for start in range(0, len(X), rows):
        block = np.ascontiguousarray(X[start:start + rows])
        h.update(memoryview(block).cast("B"))
        release(X, slice(start, start + rows))
    return h.hexdigest()


class CachedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit a classifier through an on-disk cache.

    Parameters
    ----------
    estimator : classifier
        The classifier to fit; a clone of it is fitted.
    memory : str, pathlib.Path, joblib.Memory or None, default=None
        Where fitted classifiers are cached. A fit with an estimator of the
        same parameters on the same ``X`` and ``y`` (compared by hash, which
        reads the data once: about 2 s per GB) loads the stored model
        instead of fitting. None: no cache, a plain fit. The bench's
        :func:`~fer_classic.protocol.run_protocol` sets it to its feature
        cache when it is None.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
        When ``estimator_`` has it.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.datasets import load_iris
    >>> from fer_classic.models import LinearSVM
    >>> X, y = load_iris(return_X_y=True)
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     first = CachedClassifier(LinearSVM(), memory=cache).fit(X, y)
    ...     again = CachedClassifier(LinearSVM(), memory=cache).fit(X, y)  # read back
    >>> bool((first.predict(X) == again.predict(X)).all())
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        # Pipeline's constraint, and paths
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    }

    def __init__(self, estimator, memory=None):
        self.estimator = estimator
        self.memory = memory

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator validates its own
    def fit(self, X, y):
        """Fit a clone of ``estimator``, or load it from ``memory``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : CachedClassifier
        """
        memory = self.memory
        if isinstance(memory, os.PathLike):  # check_memory takes str, not Path
            memory = os.fspath(memory)
        memory = check_memory(memory)
        digest = _digest(X) if memory.location is not None else None
        self.estimator_ = cached_call(memory, _fit_clone, self.estimator, X, y, digest,
                                      ignore=["X"])
        self.classes_ = self.estimator_.classes_
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def predict(self, X):
        """The fitted classifier's predictions."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(estimator_has("decision_function"))
    def decision_function(self, X):
        """The fitted classifier's decision scores."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    @available_if(estimator_has("predict_proba"))
    def predict_proba(self, X):
        """The fitted classifier's class probabilities."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        tags.classifier_tags = inner.classifier_tags
        return tags
