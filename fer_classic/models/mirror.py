"""Left-right mirroring around any face classifier.

Facial expressions are close to left-right symmetric. :class:`MirrorClassifier`
uses that twice: it fits a classifier (normally a pipeline from faces to
labels) on the faces and their mirror images, and it scores a face by the mean
of the classifier's scores for the face and for its mirror image (test-time
augmentation).

That mean has one implementation, behind :func:`mirror_averaged_scores`
(and :func:`predict_mirror_averaged`, its labels) and
:class:`MirrorClassifier` alike: the class applies it to a face and its
mirror image, and callers that already hold the features of both views
(:func:`~fer_classic.protocol.run_protocol`, which extracts them once per
feature setting) call the functions on those with the fitted classifier;
:meth:`MirrorClassifier.from_fitted` then wraps the fitted feature steps
and classifier into the model that scores faces the same way.
The scores are those of :func:`~fer_classic.utils.scores.classifier_scores`
(``decision_function``, else ``predict_proba``).
"""

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_X_y

from ..datasets.augment import mirror_faces
from ..utils.scores import classifier_scores, estimator_has, labels_from_scores, score_method

__all__ = ["MirrorClassifier", "mirror_averaged_scores", "predict_mirror_averaged"]


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


def mirror_averaged_scores(estimator, X, X_mirrored, *, method=None):
    """Mean of a fitted classifier's scores for two views of the same samples.

    The mirror averaging of :class:`MirrorClassifier` (same code), for
    callers that hold both views already:
    :func:`~fer_classic.protocol.run_protocol` passes the precomputed
    features of the faces and of their mirror images, with the fitted
    classifier without its feature steps.

    Parameters
    ----------
    estimator : fitted classifier
        Its ``decision_function`` is used, else its ``predict_proba``
        (:func:`~fer_classic.utils.scores.classifier_scores`). A
        classifier with ``paired_decision_function(X, X_mirrored)`` (e.g.
        :class:`~fer_classic.models.LocalLearningClassifier`, or a pipeline
        ending in one) computes the mean itself.
    X, X_mirrored : array-like or sparse matrix
        The samples and their mirror images (or the features of both), row
        for row.
    method : {'decision_function', 'predict_proba'} or None, default=None
        The scores to average; None: the rule above.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
        As the method returns them (binary ``decision_function``: 1-D).

    Raises
    ------
    TypeError
        If the classifier has neither method.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0., 1.], [1., 0.], [0., 2.], [2., 0.]]); y = [0, 1, 0, 1]
    >>> clf = LogisticRegression().fit(X, y)
    >>> mirror_averaged_scores(clf, X, X[:, ::-1]).round(2)
    array([0., 0., 0., 0.])
    """
    return _averaged_scores(estimator, X, lambda: X_mirrored, method)


def _averaged_scores(estimator, X, get_mirrored, method=None):
    """:func:`mirror_averaged_scores`, the mirror view asked for once it is needed.

    :class:`MirrorClassifier` passes a function that mirrors its faces: the
    face view is scored first, so bad input is reported by the classifier.
    """
    if method is None:
        method = score_method(estimator)
    paired = _paired_scorer(estimator, method)
    if paired is not None:
        return np.asarray(paired(X, get_mirrored()), dtype=np.float64)
    a = classifier_scores(estimator, X, method=method)
    b = classifier_scores(estimator, get_mirrored(), method=method)
    if a.shape != b.shape:
        raise ValueError(f"X and X_mirrored must hold the same samples; got {a.shape[0]} "
                         f"and {b.shape[0]} rows of scores.")
    return 0.5 * (a + b)


def predict_mirror_averaged(estimator, X, X_mirrored):
    """Class with the largest mean score over a sample and its mirror image.

    :func:`~fer_classic.utils.scores.labels_from_scores` of
    :func:`mirror_averaged_scores`: what :meth:`MirrorClassifier.predict`
    gives for faces, from a fitted classifier and the features of both views.

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
    return labels_from_scores(estimator.classes_, scores)


def _check_dense(X):
    if sparse.issparse(X):
        raise TypeError("MirrorClassifier reads faces as dense arrays; sparse input is not "
                        "supported.")


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
    mirror_averaged_scores : the mean scores, from features of both views.

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

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "mirror_train": ["boolean"],
        "mirror_test": ["boolean"],
        "image_shape": [tuple, list, None],  # a pair: see _check_image_shape
    }

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

    def _check_image_shape(self):
        """The part of ``image_shape``'s check no constraint expresses: two positive ints."""
        shape = self.image_shape
        if shape is not None and (
            len(shape) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in shape)
        ):
            raise ValueError(f"image_shape must be None or (h, w) with positive ints; "
                             f"got {shape!r}.")

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator validates its own
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
        self._check_image_shape()
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
    def from_fitted(cls, fitted, *, mirror_train=True, mirror_test=True, image_shape=(48, 48)):
        """A MirrorClassifier around an estimator already fitted as :meth:`fit` would fit it.

        For callers that fitted the classifier themselves, on features of
        the faces (and, with ``mirror_train``, of their mirror images):
        :func:`~fer_classic.protocol.run_protocol` scores the fitted
        classifier with :func:`predict_mirror_averaged` on precomputed
        features of both views, then returns its feature steps and
        classifier wrapped by this, which predicts faces the same way.

        Parameters
        ----------
        fitted : fitted classifier
            Normally a pipeline from faces to labels; ``estimator`` and
            ``estimator_`` are both this object (it is not refitted or copied).
        mirror_train, mirror_test, image_shape
            As for the class: ``mirror_train`` says how ``fitted`` was fitted.

        Returns
        -------
        clf : MirrorClassifier
            Fitted.

        Examples
        --------
        >>> from sklearn.pipeline import make_pipeline
        >>> from fer_classic.datasets import make_synthetic_faces
        >>> from fer_classic.features import HOG
        >>> from fer_classic.models import LinearSVM
        >>> X, y = make_synthetic_faces(n_per_class=10, random_state=0).get_split("Training")
        >>> pipe = make_pipeline(HOG(), LinearSVM(C=0.1)).fit(X, y)
        >>> clf = MirrorClassifier.from_fitted(pipe, mirror_train=False)
        >>> bool((clf.predict(X) == predict_mirror_averaged(pipe, X, X[:, :, ::-1])).all())
        True
        """
        clf = cls(fitted, mirror_train=mirror_train, mirror_test=mirror_test,
                  image_shape=image_shape)
        clf._validate_params()  # scikit-learn's, against _parameter_constraints
        clf._check_image_shape()
        check_is_fitted(fitted)
        clf.estimator_ = fitted
        clf.classes_ = fitted.classes_
        if hasattr(fitted, "n_features_in_"):
            clf.n_features_in_ = fitted.n_features_in_
        return clf

    def _scores(self, method, X):
        check_is_fitted(self)
        if not self.mirror_test:
            return getattr(self.estimator_, method)(X)
        return _averaged_scores(self.estimator_, X, lambda: self._mirror(X), method)

    @available_if(estimator_has("decision_function"))
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

    @available_if(estimator_has("predict_proba"))
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
        # predict_mirror_averaged(self.estimator_, X, self._mirror(X)), the
        # face view scored first
        scores = _averaged_scores(self.estimator_, X, lambda: self._mirror(X))
        return labels_from_scores(self.classes_, scores)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = clone(self.estimator).__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
