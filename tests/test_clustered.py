"""Tests of fer_classic.models.clustered: local models fitted in advance per cluster."""

import numpy as np
import pytest
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import check_estimator

from fer_classic.models import ClusteredLocalClassifier, KernelSVC, LinearSVM
from fer_classic.models.clustered import cluster_centres


def _xor(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int) + 2 * (X[:, 2] > 1.2)
    return X, y


def test_one_cluster_holding_everything_is_the_global_linear_svm():
    X, y = _xor()
    clf = ClusteredLocalClassifier(n_clusters=1, n_neighbors=len(X)).fit(X, y)
    ref = KernelSVC(kernel="linear").fit(X, y).decision_function(X)
    # the same SVM, scored through its primal weights instead of its dual
    np.testing.assert_allclose(clf.decision_function(X), ref, rtol=1e-4, atol=1e-4)


def test_local_models_fix_what_one_linear_model_cannot():
    X, y = _xor(seed=1)
    Xt, yt = _xor(seed=2)
    glob = LinearSVC().fit(X, y).score(Xt, yt)
    local = ClusteredLocalClassifier(n_clusters=16, n_neighbors=60).fit(X, y).score(Xt, yt)
    assert local > glob + 0.15


def test_experts_average_the_nearest_local_models():
    X, y = _xor()
    one = ClusteredLocalClassifier(n_clusters=12, n_neighbors=150).fit(X, y)
    two = ClusteredLocalClassifier(n_clusters=12, n_neighbors=150, n_experts=2).fit(X, y)
    np.testing.assert_array_equal(one.coef_, two.coef_)  # the same fit
    nearest = two.nearest_clusters(X[:20])
    np.testing.assert_array_equal(nearest[:, 0], one.nearest_clusters(X[:20])[:, 0])
    by_hand = np.zeros((20, 4))
    for i, row in enumerate(nearest):
        for c in row:
            b = one.intercept_[c]
            s = one.coef_[c] @ X[i].astype(np.float32) + np.nan_to_num(b)
            s[np.isnan(b)] = s[~np.isnan(b)].min() - 1  # classes absent around c
            by_hand[i] += s / 2
    np.testing.assert_allclose(two.decision_function(X[:20]), by_hand, rtol=1e-5, atol=1e-5)


def test_absent_classes_score_below_the_present_ones():
    X, y = _xor()
    clf = ClusteredLocalClassifier(n_clusters=30, n_neighbors=12).fit(X, y)
    absent = np.isnan(clf.intercept_)
    assert absent.any()  # some small neighbourhoods miss a class
    c = int(np.flatnonzero(absent.any(axis=1))[0])
    rows = np.flatnonzero(clf.nearest_clusters(X)[:, 0] == c)
    if len(rows):
        s = clf.decision_function(X[rows])
        assert (s[:, absent[c]].max(axis=1) < s[:, ~absent[c]].min(axis=1)).all()


def test_float16_storage_scores_like_float32():
    X, y = _xor()
    single = ClusteredLocalClassifier(n_clusters=8, n_neighbors=80).fit(X, y)
    half = ClusteredLocalClassifier(n_clusters=8, n_neighbors=80, dtype="float16").fit(X, y)
    assert half.coef_.dtype == np.float16 and half.coef_.nbytes * 2 == single.coef_.nbytes
    # float16 weights (11-bit significands): scores within about 1e-3 relative
    np.testing.assert_allclose(half.decision_function(X), single.decision_function(X),
                               rtol=1e-2, atol=1e-2)
    assert np.mean(half.predict(X) == single.predict(X)) > 0.98
    # float16 input is accepted as it is
    np.testing.assert_allclose(half.decision_function(X.astype(np.float16)),
                               half.decision_function(X), rtol=1e-2, atol=1e-2)


def test_paired_scores_add_the_mirrored_global_scores():
    X, y = _xor()
    Xp = X[:, ::-1].copy()
    clf = ClusteredLocalClassifier(n_clusters=8, n_neighbors=60, global_estimator=LinearSVM(),
                                   global_weight=0.5).fit(X, y)
    g = clf.global_estimator_
    local = clf.set_params(global_weight=0).decision_function(X)
    clf.set_params(global_weight=0.5)
    np.testing.assert_allclose(
        clf.paired_decision_function(X, Xp),
        local + 0.25 * (g.decision_function(X) + g.decision_function(Xp)), rtol=1e-10)
    both = clf.set_params(local_views="all").paired_decision_function(X, Xp)
    assert not np.allclose(both, clf.set_params(local_views="first")
                           .paired_decision_function(X, Xp))


def test_cluster_centres_are_unit_length_and_seeded():
    X, _ = _xor()
    A = cluster_centres(X, 5, random_state=0)
    np.testing.assert_allclose(np.linalg.norm(A, axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(A, cluster_centres(X, 5, random_state=0))


@pytest.mark.parametrize("params, match", [
    ({"n_clusters": 0}, "n_clusters"),
    ({"dtype": "int8"}, "dtype"),
    ({"local_views": "both"}, "local_views"),
    ({"global_weight": -1}, "global_weight"),
    # the local fits skip scikit-learn's validation: fit checks the local model once
    ({"estimator": LinearSVC(C=-1.0)}, "'C' parameter of LinearSVC"),
    ({"estimator": KernelSVC(kernel="linear", multi_class="crammer")},
     "'multi_class' parameter of KernelSVC"),
])
def test_bad_parameters(params, match):
    X, y = _xor()
    with pytest.raises(ValueError, match=match):
        ClusteredLocalClassifier(**params).fit(X, y)


@pytest.mark.parametrize("est", [
    ClusteredLocalClassifier(n_clusters=4, n_neighbors=20),
    ClusteredLocalClassifier(n_clusters=3, n_neighbors=15, n_experts=2,
                             global_estimator=LinearSVM(), dtype="float16"),
])
@pytest.mark.slow
def test_check_estimator(est):
    check_estimator(est)
