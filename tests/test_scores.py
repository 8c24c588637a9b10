"""One rule for a classifier's scores (fer_classic.utils.scores), used everywhere."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fer_classic.models import (ClusteredLocalClassifier, LinearSVM, LocalLearningClassifier,
                                MirrorClassifier, mirror_averaged_scores)
from fer_classic.persist import score_method_of
from fer_classic.utils.scores import (classifier_scores, labels_from_scores, score_method)
from stand_ins import OnlyPredict


class _Both(ClassifierMixin, BaseEstimator):
    """Both score methods, with different winners: the rule decides which is read."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def decision_function(self, X):
        return np.tile([0.0, 1.0, 0.5], (len(X), 1))

    def predict_proba(self, X):
        return np.tile([0.6, 0.1, 0.3], (len(X), 1))

    def predict(self, X):
        return labels_from_scores(self.classes_, self.decision_function(X))


@pytest.fixture(scope="module")
def tabular():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 5))
    y = np.argmax(X[:, :3], axis=1)
    return X, y


def test_decision_function_is_preferred(tabular):
    X, y = tabular
    clf = _Both().fit(X, y)
    assert score_method(clf) == "decision_function"
    np.testing.assert_array_equal(classifier_scores(clf, X[:2]), clf.decision_function(X[:2]))
    np.testing.assert_array_equal(labels_from_scores(clf.classes_, classifier_scores(clf, X)),
                                  np.ones(len(X)))
    # asked for explicitly, the other one
    np.testing.assert_array_equal(classifier_scores(clf, X[:2], method="predict_proba"),
                                  clf.predict_proba(X[:2]))
    # the class scores of a saved model follow the same rule
    assert score_method_of(clf) == "softmax(decision_function)"
    lr = LogisticRegression().fit(X, y)
    assert score_method(lr) == "decision_function"
    assert score_method_of(make_pipeline(StandardScaler(), lr)[-1]) == \
        "softmax(decision_function)"


def test_predict_proba_is_the_fallback(tabular):
    X, y = tabular
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    assert score_method(forest) == "predict_proba"
    scores = classifier_scores(forest, X)
    assert scores.dtype == np.float64
    np.testing.assert_array_equal(scores, forest.predict_proba(X))
    np.testing.assert_array_equal(labels_from_scores(forest.classes_, scores), forest.predict(X))
    assert score_method_of(forest) == "predict_proba"


def test_binary_margins(tabular):
    X, y = tabular
    yb = np.where(y == 1, "yes", "no")
    svm = LinearSVM(C=0.1).fit(X, yb)
    s = classifier_scores(svm, X)
    assert s.shape == (len(X),)
    np.testing.assert_array_equal(labels_from_scores(svm.classes_, s), svm.predict(X))
    both = classifier_scores(svm, X, per_class=True)
    np.testing.assert_array_equal(both, np.column_stack([-s, s]))
    np.testing.assert_array_equal(labels_from_scores(svm.classes_, both), svm.predict(X))
    # a zero margin is classes_[0], as argmax gives ties to the first class
    np.testing.assert_array_equal(labels_from_scores(["a", "b"], [0.0]), ["a"])
    np.testing.assert_array_equal(labels_from_scores(["a", "b"], [[0.0, 0.0]]), ["a"])
    # 2-D scores are not touched by per_class
    lr = LogisticRegression().fit(X, y)
    np.testing.assert_array_equal(classifier_scores(lr, X, per_class=True),
                                  lr.decision_function(X))


def test_neither_method_is_an_error(tabular):
    X, y = tabular
    clf = OnlyPredict().fit(X, y)
    assert score_method(clf) is None
    with pytest.raises(TypeError, match="OnlyPredict has neither decision_function nor "
                                        "predict_proba"):
        classifier_scores(clf, X)
    with pytest.raises(TypeError, match="neither decision_function nor predict_proba"):
        mirror_averaged_scores(clf, X, X)
    assert score_method_of(clf) == "one-hot"
    with pytest.raises(ValueError, match="'global_estimator' parameter .* 'fit' and "
                                         "'decision_function' or .* 'fit' and 'predict_proba'"):
        LocalLearningClassifier(global_estimator=OnlyPredict()).fit(X, y)


def test_models_read_their_global_and_mirror_scores_by_the_rule(tabular):
    X, y = tabular
    Xm = X[:, ::-1]
    # mirror averaging: the decision scores of a classifier that has both
    both = _Both().fit(X, y)
    np.testing.assert_array_equal(mirror_averaged_scores(both, X, Xm),
                                  both.decision_function(X))
    np.testing.assert_array_equal(
        MirrorClassifier(_Both(), image_shape=None).fit(X, y).predict(X), np.ones(len(X)))
    # local learning's global model: its decision scores, weighted
    for model in (LocalLearningClassifier(n_neighbors=5),
                  ClusteredLocalClassifier(n_clusters=2, n_neighbors=5, cluster_components=3)):
        alone = model.fit(X, y).decision_function(X)
        model.set_params(global_estimator=_Both(), global_weight=2.0).fit(X, y)
        np.testing.assert_allclose(model.decision_function(X),
                                   alone + 2.0 * both.decision_function(X))
        np.testing.assert_array_equal(model.predict(X),
                                      labels_from_scores(model.classes_,
                                                         model.decision_function(X)))
