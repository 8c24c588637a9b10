"""Left-right mirroring around any face classifier.

Facial expressions are close to left-right symmetric. :class:`MirrorClassifier`
uses that twice: it fits a classifier (normally a pipeline from faces to
labels) on the faces and their mirror images, and it scores a face by the mean
of the classifier's scores for the face and for its mirror image (test-time
augmentation). :func:`mirror_averaged_scores` is that mean, for callers that
already hold features of both views.
"""

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_X_y

from ..datasets.augment import mirror_faces

__all__ = ["MirrorClassifier", "mirror_averaged_scores", "predict_mirror_averaged"]


def _score_method(estimator):
    for method in ("decision_function", "predict_proba"):
        if hasattr(estimator, method):
            return method
    raise TypeError(f"{type(estimator).__name__} has neither decision_function nor "
                    "predict_proba: scores of a face and its mirror image cannot be averaged.")


def _paired_scorer(estimator, method):
    """``f(X, X_mirrored)`` from a ``paired_decision_function``, or None.

    A classifier that scores two views of a sample together (local learning
    that fits one local model per face, not per view) has
    ``paired_decision_function``; a pipeline ending in one transforms both
    views with its other steps first. It stands in for ``method`` only when
    that is ``decision_function``.
    """
    if method != "decision_function":
        return None
    if hasattr(estimator, "paired_decision_function"):
        return estimator.paired_decision_function
    if isinstance(estimator, Pipeline) and hasattr(estimator[-1], "paired_decision_function"):
        head, last = estimator[:-1], estimator[-1]
        return lambda X, X_mirrored: last.paired_decision_function(
            head.transform(X), head.transform(X_mirrored))
    return None


def mirror_averaged_scores(estimator, X, X_mirrored):
    """Mean of a fitted classifier's scores for two views of the same samples.

    Parameters
    ----------
    estimator : fitted classifier
        Its ``decision_function`` is used, else its ``predict_proba``. A
        classifier with ``paired_decision_function(X, X_mirrored)`` (e.g.
        :class:`~fer_classic.models.LocalLearningClassifier`, or a pipeline
        ending in one) computes the mean itself.
    X, X_mirrored : array-like or sparse matrix
        The samples and their mirror images (or the features of both), row
        for row.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
        As the method returns them (binary ``decision_function``: 1-D).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0., 1.], [1., 0.], [0., 2.], [2., 0.]]); y = [0, 1, 0, 1]
    >>> clf = LogisticRegression().fit(X, y)
    >>> mirror_averaged_scores(clf, X, X[:, ::-1]).round(2)
    array([0., 0., 0., 0.])
    """
    method = _score_method(estimator)
    paired = _paired_scorer(estimator, method)
    if paired is not None:
        return np.asarray(paired(X, X_mirrored), dtype=np.float64)
    a = np.asarray(getattr(estimator, method)(X), dtype=np.float64)
    b = np.asarray(getattr(estimator, method)(X_mirrored), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"X and X_mirrored must hold the same samples; got {a.shape[0]} "
                         f"and {b.shape[0]} rows of scores.")
    return 0.5 * (a + b)


def _labels_from_scores(classes, scores):
    if scores.ndim == 1:  # binary decision_function: margin of classes[1]
        return classes[(scores > 0).astype(int)]
    return classes[np.argmax(scores, axis=1)]


def predict_mirror_averaged(estimator, X, X_mirrored):
    """Class with the largest mean score over a sample and its mirror image.

    Parameters
    ----------
    estimator : fitted classifier
    X, X_mirrored : array-like or sparse matrix
        As for :func:`mirror_averaged_scores`.

    Returns
    -------
    y : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0., 1.], [1., 0.], [0., 3.], [2., 0.]]); y = [0, 1, 0, 1]
    >>> clf = LogisticRegression().fit(X, y)
    >>> predict_mirror_averaged(clf, X, X).tolist()
    [0, 1, 0, 1]
    """
    scores = mirror_averaged_scores(estimator, X, X_mirrored)
    return _labels_from_scores(np.asarray(estimator.classes_), scores)


def _check_dense(X):
    if sparse.issparse(X):
        raise TypeError("MirrorClassifier reads faces as dense arrays; sparse input is not "
                        "supported.")


def _estimator_has(method):
    def check(self):
        est = self.estimator_ if hasattr(self, "estimator_") else self.estimator
        return hasattr(est, method)
    return check


class MirrorClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit on faces and their mirror images; score a face and its mirror image.

    Parameters
    ----------
    estimator : classifier
        Fitted on the faces (and, with ``mirror_train``, their mirror
        images), normally a pipeline whose first step reads faces.
    mirror_train : bool, default=True
        Fit on the faces and their left-right mirror images, with the same
        labels (twice the samples).
    mirror_test : bool, default=True
        Score each face by the mean of the classifier's scores
        (``decision_function``, else ``predict_proba``) for the face and for
        its mirror image. Predictions are then the same for a face and its
        mirror image. Costs a second prediction; a classifier with
        ``paired_decision_function`` scores the pair itself (see
        :class:`~fer_classic.models.LocalLearningClassifier`'s ``local_views``).
    image_shape : tuple of int or None, default=(48, 48)
        ``(h, w)`` of faces given as flattened rows; faces given as
        ``(n, h, w)`` arrays are mirrored along their last axis whatever
        this is. ``None`` treats each row as one image row (its feature order
        is reversed), for inputs that are not 48x48 faces.

    Attributes
    ----------
    estimator_ : classifier
        The fitted ``estimator``.
    classes_ : ndarray of shape (n_classes,)

    See Also
    --------
    fer_classic.datasets.mirror_faces : the mirror images.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from fer_classic.datasets import make_synthetic_faces
    >>> from fer_classic.features import HOG
    >>> from fer_classic.models import LinearSVM, MirrorClassifier
    >>> data = make_synthetic_faces(n_per_class=10, random_state=0)
    >>> X, y = data.get_split("Training")
    >>> clf = MirrorClassifier(make_pipeline(HOG(), LinearSVM(C=0.1))).fit(X, y)
    >>> bool((clf.predict(X) == clf.predict(X[:, :, ::-1])).all())
    True
    """

    def __init__(self, estimator, *, mirror_train=True, mirror_test=True, image_shape=(48, 48)):
        self.estimator = estimator
        self.mirror_train = mirror_train
        self.mirror_test = mirror_test
        self.image_shape = image_shape

    def _mirror(self, X):
        _check_dense(X)
        X = np.asarray(X)
        if X.ndim == 3:  # (n, h, w) images, whatever image_shape says
            return mirror_faces(X)
        if self.image_shape is None:
            if X.ndim != 2:
                raise ValueError(f"X must be a 2-D array with image_shape=None; got shape "
                                 f"{X.shape}.")
            return np.ascontiguousarray(X[:, ::-1])
        return mirror_faces(X, image_shape=tuple(self.image_shape))

    def _validate_params_once(self):
        for name in ("mirror_train", "mirror_test"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False; got {getattr(self, name)!r}.")
        shape = self.image_shape
        if shape is not None and (
            not isinstance(shape, (tuple, list)) or len(shape) != 2
            or not all(isinstance(v, (int, np.integer)) and v > 0 for v in shape)
        ):
            raise ValueError(f"image_shape must be None or (h, w) with positive ints; "
                             f"got {shape!r}.")

    def fit(self, X, y):
        """Fit ``estimator`` on the faces, and their mirror images with ``mirror_train``.

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w) or (n_samples, h * w)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : MirrorClassifier
        """
        self._validate_params_once()
        _check_dense(X)
        X, y = check_X_y(X, y, dtype=None, allow_nd=True, ensure_all_finite=False)
        if self.mirror_train:
            X = np.concatenate([X, self._mirror(X)])
            y = np.concatenate([y, y])
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        return self

    @classmethod
    def _from_fitted(cls, fitted, **params):
        """Wrap an estimator already fitted as ``fit`` would have fitted it."""
        clf = cls(fitted, **params)
        clf._validate_params_once()
        clf.estimator_ = fitted
        clf.classes_ = fitted.classes_
        if hasattr(fitted, "n_features_in_"):
            clf.n_features_in_ = fitted.n_features_in_
        return clf

    def _scores(self, method, X):
        check_is_fitted(self)
        if not self.mirror_test:
            return getattr(self.estimator_, method)(X)
        paired = _paired_scorer(self.estimator_, method)
        if paired is not None:
            return np.asarray(paired(X, self._mirror(X)), dtype=np.float64)
        a = np.asarray(getattr(self.estimator_, method)(X), dtype=np.float64)
        b = np.asarray(getattr(self.estimator_, method)(self._mirror(X)), dtype=np.float64)
        return 0.5 * (a + b)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Mean decision scores of each face and its mirror image (``mirror_test``).

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w) or (n_samples, h * w)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
        """
        return self._scores("decision_function", X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Mean class probabilities of each face and its mirror image (``mirror_test``).

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w) or (n_samples, h * w)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._scores("predict_proba", X)

    def predict(self, X):
        """Class with the largest mean score (``mirror_test``), else the estimator's.

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w) or (n_samples, h * w)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if not self.mirror_test:
            return self.estimator_.predict(X)
        method = _score_method(self.estimator_)
        return _labels_from_scores(np.asarray(self.classes_), self._scores(method, X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = clone(self.estimator).__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
