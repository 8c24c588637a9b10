"""The scores of a fitted classifier, and the labels they give: one rule for the package.

Whatever combines or averages a classifier's class scores in fer_classic
(mirror-image averaging, local learning's global model, the class scores of
a saved model) takes them from :func:`classifier_scores`: the classifier's
``decision_function`` when it has one, else its ``predict_proba``. A
binary ``decision_function`` gives one margin per sample, that of
``classes_[1]``; :func:`labels_from_scores` turns scores of either shape
into class labels, as the classifier's own ``predict`` would.
"""

import numpy as np

__all__ = ["SCORE_METHODS", "classifier_scores", "estimator_has", "labels_from_scores",
           "local_global_scores", "score_method"]

#: Methods that give a classifier's class scores, in the order they are preferred.
SCORE_METHODS = ("decision_function", "predict_proba")


def score_method(estimator):
    """Name of the method that gives ``estimator``'s class scores, or None.

    ``"decision_function"`` when the estimator has it, else
    ``"predict_proba"``, else None (see :func:`classifier_scores`).

    Parameters
    ----------
    estimator : classifier
        Fitted or not (a meta-estimator may offer a method only once fitted).

    Returns
    -------
    method : {'decision_function', 'predict_proba'} or None

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> score_method(LogisticRegression()), score_method(RandomForestClassifier())
    ('decision_function', 'predict_proba')
    """
    for method in SCORE_METHODS:
        if hasattr(estimator, method):
            return method
    return None


def classifier_scores(estimator, X, *, method=None, per_class=False):
    """Class scores of a fitted classifier: ``decision_function``, else ``predict_proba``.

    Parameters
    ----------
    estimator : fitted classifier
    X : array-like or sparse matrix
        What the classifier's methods read.
    method : {'decision_function', 'predict_proba'} or None, default=None
        The method to use; None: :func:`score_method`'s choice.
    per_class : bool, default=False
        Give a binary ``decision_function``'s margins ``s`` as the two
        columns ``(-s, s)``, one per class (same largest class, and
        ``0.5 * (s1 - s0)`` is ``s`` again), for callers that add scores
        class by class.

    Returns
    -------
    scores : ndarray of float64, shape (n_samples, n_classes) or (n_samples,)
        Columns in the order of ``estimator.classes_``. A binary
        ``decision_function`` gives the margin of ``classes_[1]``, shape
        ``(n_samples,)``, unless ``per_class``.

    Raises
    ------
    TypeError
        If the classifier has neither method.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[-2.], [-1.], [1.], [2.]]); y = ["a", "a", "b", "b"]
    >>> clf = LogisticRegression().fit(X, y)
    >>> classifier_scores(clf, X).shape, classifier_scores(clf, X, per_class=True).shape
    ((4,), (4, 2))
    >>> labels_from_scores(clf.classes_, classifier_scores(clf, X)).tolist()
    ['a', 'a', 'b', 'b']
    """
    if method is None:
        method = score_method(estimator)
    if method is None:
        raise TypeError(f"{type(estimator).__name__} has neither decision_function nor "
                        "predict_proba: it gives no class scores.")
    scores = np.asarray(getattr(estimator, method)(X), dtype=np.float64)
    if per_class and scores.ndim == 1:
        scores = np.column_stack([-scores, scores])
    return scores


def local_global_scores(local, views, *, local_views="first", global_estimator=None,
                        global_weight=1.0):
    """Class scores of local models plus the weighted scores of a global classifier.

    The rule the local learners share: the local scores are averaged over the
    views they read (the first view only, or all of them), the global
    classifier's scores (:func:`classifier_scores`, one column per class) over
    every view, and the second is added ``global_weight`` times.

    Parameters
    ----------
    local : callable
        ``local(V) -> scores`` of shape (n_samples, n_classes).
    views : list of array-like
        Views of the same samples (a face, its mirror image); at least one.
    local_views : {"first", "all"}, default="first"
    global_estimator : fitted classifier or None, default=None
    global_weight : float, default=1.0
        No global scores are computed when it is 0.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_classes)

    Raises
    ------
    ValueError
        If the views do not have the same number of rows.

    Examples
    --------
    >>> import numpy as np
    >>> views = [np.zeros((2, 3)), np.ones((2, 3))]
    >>> local_global_scores(lambda V: V[:, :2] + 1, views, local_views="all")
    array([[1.5, 1.5],
           [1.5, 1.5]])
    """
    for V in views[1:]:
        if V.shape[0] != views[0].shape[0]:
            raise ValueError(f"the paired views must have the same rows; got "
                             f"{views[0].shape[0]} and {V.shape[0]}.")
    scores = np.mean([local(V) for V in (views if local_views == "all" else views[:1])],
                     axis=0)
    if global_estimator is not None and global_weight:
        scores += global_weight * np.mean(
            [classifier_scores(global_estimator, V, per_class=True) for V in views], axis=0)
    return scores


def labels_from_scores(classes, scores):
    """Class labels from class scores: the largest score's class.

    Parameters
    ----------
    classes : array-like of shape (n_classes,)
        The classifier's ``classes_``.
    scores : array-like of shape (n_samples, n_classes) or (n_samples,)
        As :func:`classifier_scores` gives them; 1-D scores are binary
        margins of ``classes[1]`` (positive: ``classes[1]``, else ``classes[0]``).

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Ties go to the first class, as with :func:`numpy.argmax`.

    Examples
    --------
    >>> labels_from_scores(["a", "b", "c"], [[0., 2., 1.], [3., 3., 0.]]).tolist()
    ['b', 'a']
    >>> labels_from_scores(["a", "b"], [-0.5, 0.0, 0.5]).tolist()
    ['a', 'a', 'b']
    """
    classes = np.asarray(classes)
    scores = np.asarray(scores)
    if scores.ndim == 1:
        return classes[(scores > 0).astype(int)]
    return classes[np.argmax(scores, axis=1)]


def estimator_has(method):
    """Check for :func:`sklearn.utils.metaestimators.available_if` in a meta-estimator.

    A meta-estimator offers ``method`` when its fitted ``estimator_`` (before
    fitting: its ``estimator``) has it.

    Parameters
    ----------
    method : str

    Returns
    -------
    check : callable
        ``check(meta_estimator) -> bool``.
    """
    def check(self):
        est = self.estimator_ if hasattr(self, "estimator_") else self.estimator
        return hasattr(est, method)
    return check
