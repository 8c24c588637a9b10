"""Tests for fer_classic.models.local (local learning)."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_estimator

from fer_classic.models.kernels import KernelSVC, intersection_kernel
from fer_classic.models.local import LocalLearningClassifier, local_neighbors


def _data(n=120, d=8, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    centres = rng.normal(0, 2, size=(n_classes, d))
    X = centres[y] + rng.normal(0, 1.5, size=(n, d))
    return X, y


@pytest.mark.parametrize("estimator", [
    None,  # default: one-vs-rest linear SVM on the local Gram matrix
    LinearSVC(C=0.5, random_state=0),
    LogisticRegression(C=1.0),
    KernelSVC(kernel="linear", multi_class="ovo"),
])
def test_whole_training_set_as_neighbourhood_equals_global_model(estimator):
    X, y = _data()
    local = LocalLearningClassifier(n_neighbors=10_000, estimator=estimator).fit(X[:90], y[:90])
    assert local.n_neighbors_ == 90
    glob = local.estimator_.fit(X[:90], y[:90])  # the same (cloned, seeded) template
    np.testing.assert_array_equal(local.predict(X[90:105]), glob.predict(X[90:105]))


def test_unanimous_neighbourhood_predicts_its_label_without_fitting():
    X = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2], [20.0]])
    y = np.array([0, 0, 0, 1, 1, 1, 2])
    clf = LocalLearningClassifier(n_neighbors=3).fit(X, y)
    scores = clf.decision_function(np.array([[0.05], [10.05]]))
    np.testing.assert_array_equal(scores, [[1, -1, -1], [-1, 1, -1]])
    np.testing.assert_array_equal(clf.predict(np.array([[0.05], [10.05]])), [0, 1])


def test_decision_function_aligned_with_classes_and_absent_classes_last():
    X, y = _data(n_classes=4)
    labels = np.array(["angry", "happy", "sad", "neutral"])[y]
    clf = LocalLearningClassifier(n_neighbors=15).fit(X[:100], labels[:100])
    scores = clf.decision_function(X[100:])
    assert scores.shape == (20, 4) and np.isfinite(scores).all()
    np.testing.assert_array_equal(clf.predict(X[100:]), clf.classes_[scores.argmax(axis=1)])
    neigh = clf.kneighbors(X[100:])
    for s, idx in zip(scores, neigh):
        present = np.isin(clf.classes_, labels[:100][idx])
        if present.sum() > 1 and not present.all():
            assert s[~present].max() < s[present].min()
            np.testing.assert_allclose(s[~present], s[present].min() - 1.0)


def test_binary_decision_function_is_one_dimensional():
    X, y = _data(n_classes=2)
    clf = LocalLearningClassifier(n_neighbors=30).fit(X[:100], y[:100])
    d = clf.decision_function(X[100:])
    assert d.shape == (20,)
    np.testing.assert_array_equal(clf.predict(X[100:]), clf.classes_[(d > 0).astype(int)])


def test_local_models_fix_what_one_global_linear_model_cannot():
    # four blobs in an XOR layout: no single linear boundary separates them,
    # but each neighbourhood is linearly separable
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [0, 6], [6, 0], [6, 6]], dtype=float)
    labels = np.array([0, 1, 1, 0])
    idx = rng.integers(0, 4, 400)
    X = centres[idx] + rng.normal(0, 1.0, size=(400, 2))
    y = labels[idx]
    glob = LinearSVC(random_state=0).fit(X[:300], y[:300]).score(X[300:], y[300:])
    local = LocalLearningClassifier(n_neighbors=40).fit(X[:300], y[:300]).score(X[300:], y[300:])
    assert glob < 0.75 and local > 0.95


def test_intersection_and_linear_similarity_neighbours():
    rng = np.random.default_rng(0)
    Xtr = rng.random((50, 10))
    X = rng.random((7, 10))
    for metric, S in (("intersection", intersection_kernel(X, Xtr)), ("linear", X @ Xtr.T)):
        idx = local_neighbors(Xtr, X, 5, metric=metric, chunk_size=3)
        np.testing.assert_array_equal(idx, np.argsort(-S, axis=1, kind="stable")[:, :5])
    idx = local_neighbors(Xtr, X, 5, metric="manhattan")
    ref = NearestNeighbors(n_neighbors=5, metric="manhattan").fit(Xtr).kneighbors(
        X, return_distance=False)
    np.testing.assert_array_equal(idx, ref)


def test_sparse_input_and_intersection_metric():
    X, y = _data()
    X = np.abs(X)
    dense = LocalLearningClassifier(n_neighbors=25, metric="intersection").fit(X[:90], y[:90])
    sp = LocalLearningClassifier(n_neighbors=25, metric="intersection").fit(
        sparse.csr_matrix(X[:90]), y[:90])
    np.testing.assert_allclose(sp.decision_function(sparse.csr_matrix(X[90:])),
                               dense.decision_function(X[90:]), atol=1e-8)


def test_parallel_batches_give_the_same_result():
    X, y = _data()
    ref = LocalLearningClassifier(n_neighbors=20).fit(X[:90], y[:90]).decision_function(X[90:])
    par = LocalLearningClassifier(n_neighbors=20, n_jobs=2, batches_per_job=3).fit(
        X[:90], y[:90]).decision_function(X[90:])
    np.testing.assert_allclose(par, ref)


def test_estimator_without_decision_function():
    X, y = _data()
    clf = LocalLearningClassifier(n_neighbors=30, estimator=KNeighborsClassifier(5))
    assert clf.fit(X[:90], y[:90]).score(X[90:], y[90:]) > 0.6


def test_errors():
    X, y = _data()
    with pytest.raises(NotFittedError):
        LocalLearningClassifier().predict(X)
    with pytest.raises(ValueError, match="Negative values"):
        LocalLearningClassifier(metric="intersection").fit(X - 100, y)
    with pytest.raises(ValueError):
        LocalLearningClassifier(metric="no-such-metric").fit(X, y)
    clf = LocalLearningClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])


@pytest.mark.parametrize("params", [
    {"n_neighbors": 0}, {"n_neighbors": 2.5}, {"metric": 3}, {"metric_params": [1]},
    {"estimator": "svm"}, {"n_jobs": "all"}, {"batches_per_job": 0},
    {"global_estimator": NearestNeighbors()}, {"global_weight": -1.0},
    {"local_views": "both"},
])
def test_parameter_errors(params):
    X, y = _data()
    name = next(iter(params))
    # scikit-learn's InvalidParameterError (a ValueError) names the parameter
    match = f"'{name}' parameter of LocalLearningClassifier"
    with pytest.raises(InvalidParameterError, match=match):
        LocalLearningClassifier(**params).fit(X, y)


def test_the_local_estimator_parameters_are_checked_at_fit():
    # the local fits skip scikit-learn's parameter validation: fit checks the
    # local model's parameters once
    X, y = _data()
    for bad in (KernelSVC(multi_class="crammer"), LinearSVC(C=-1.0)):
        with pytest.raises(InvalidParameterError, match=f"of {type(bad).__name__} must be"):
            LocalLearningClassifier(estimator=bad).fit(X, y)


# small neighbourhoods keep the many local fits of the generic checks quick
@pytest.mark.parametrize("est", [
    LocalLearningClassifier(n_neighbors=6),
    LocalLearningClassifier(n_neighbors=10, metric="intersection"),
])
@pytest.mark.slow
def test_check_estimator(est):
    check_estimator(est)


def test_threads_and_processes_give_the_same_scores(monkeypatch):
    # small training sets run in processes, large ones in threads: same answers
    from fer_classic.models import local
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    y = np.arange(120) % 3
    X[np.arange(120), y] += 2.0
    clf = local.LocalLearningClassifier(n_neighbors=30, n_jobs=2).fit(X, y)
    in_processes = clf.decision_function(X[:20])
    monkeypatch.setattr(local, "_THREADS_FROM_BYTES", 0)
    np.testing.assert_allclose(clf.decision_function(X[:20]), in_processes)


def test_paired_decision_function_local_views():
    X, y = _data()
    X_other = X[90:] + np.random.default_rng(1).normal(0, 1.0, size=X[90:].shape)
    clf = LocalLearningClassifier(n_neighbors=40).fit(X[:90], y[:90])
    # 'all': each view with its own neighbourhood, scores averaged
    np.testing.assert_allclose(
        clf.paired_decision_function(X[90:], X_other),
        0.5 * (clf.decision_function(X[90:]) + clf.decision_function(X_other)))
    # 'first': local learning on the first view only
    first = clone(clf).set_params(local_views="first").fit(X[:90], y[:90])
    np.testing.assert_allclose(first.paired_decision_function(X[90:], X_other),
                               clf.decision_function(X[90:]))
    par = clone(first).set_params(n_jobs=2).fit(X[:90], y[:90])
    np.testing.assert_allclose(par.paired_decision_function(X[90:], X_other),
                               clf.decision_function(X[90:]))
    with pytest.raises(ValueError, match="same rows"):
        clf.paired_decision_function(X[90:], X_other[:5])
    with pytest.raises(ValueError, match="features"):
        first.paired_decision_function(X[90:], X_other[:, :3])
    with pytest.raises(ValueError, match="local_views"):
        clone(clf).set_params(local_views="both").fit(X, y)


@pytest.mark.slow
def test_global_estimator_scores_are_added_with_their_weight():
    X, y = _data()
    base = LocalLearningClassifier(n_neighbors=30).fit(X[:90], y[:90])
    glob = LogisticRegression(C=0.1).fit(X[:90], y[:90])
    for w in (0.0, 0.5, 2.0):
        clf = LocalLearningClassifier(n_neighbors=30, global_estimator=LogisticRegression(C=0.1),
                                      global_weight=w).fit(X[:90], y[:90])
        np.testing.assert_allclose(clf.global_estimator_.coef_, glob.coef_)
        np.testing.assert_allclose(
            clf.decision_function(X[90:]),
            base.decision_function(X[90:]) + w * glob.decision_function(X[90:]))
    # a large weight hands the decision to the global model
    clf.set_params(global_weight=1e6).fit(X[:90], y[:90])
    np.testing.assert_array_equal(clf.predict(X[90:]), glob.predict(X[90:]))
    # paired views: the global model averages both, also when local
    # learning scores the first view only
    X_other = X[90:][::-1]
    for local_views in ("all", "first"):
        clf.set_params(global_weight=0.5, local_views=local_views).fit(X[:90], y[:90])
        local = (base.paired_decision_function(X[90:], X_other) if local_views == "all"
                 else base.decision_function(X[90:]))
        np.testing.assert_allclose(
            clf.paired_decision_function(X[90:], X_other),
            local + 0.25 * (glob.decision_function(X[90:]) + glob.decision_function(X_other)))


def test_global_estimator_binary_and_probabilities():
    X, y = _data(n_classes=2)
    base = LocalLearningClassifier(n_neighbors=30).fit(X[:90], y[:90])
    svm = LinearSVC(random_state=0).fit(X[:90], y[:90])
    clf = LocalLearningClassifier(n_neighbors=30, global_estimator=LinearSVC(random_state=0),
                                  global_weight=0.5).fit(X[:90], y[:90])
    d = clf.decision_function(X[90:])
    assert d.shape == (30,)
    np.testing.assert_allclose(d, base.decision_function(X[90:])
                               + 0.5 * svm.decision_function(X[90:]))
    knn = KNeighborsClassifier(7).fit(X[:90], y[:90])
    clf = LocalLearningClassifier(n_neighbors=30, global_estimator=KNeighborsClassifier(7),
                                  global_weight=2.0).fit(X[:90], y[:90])
    p = knn.predict_proba(X[90:])
    np.testing.assert_allclose(clf.decision_function(X[90:]),
                               base.decision_function(X[90:]) + (p[:, 1] - p[:, 0]))


def test_global_estimator_errors():
    X, y = _data()
    for w in (-1.0, "1", None):
        with pytest.raises(ValueError, match="global_weight"):
            LocalLearningClassifier(global_weight=w).fit(X, y)
    with pytest.raises(ValueError, match="'global_estimator' parameter .* 'decision_function'"
                                         " or .* 'predict_proba'"):
        LocalLearningClassifier(global_estimator=NearestNeighbors()).fit(X, y)


@pytest.mark.slow
def test_check_estimator_with_global_estimator():
    check_estimator(LocalLearningClassifier(n_neighbors=6, global_estimator=LogisticRegression(),
                                            global_weight=0.5))


def test_float16_training_set_equals_its_float32_copy():
    # float16 rows are converted to float32 for the neighbour search (block by
    # block) and for each local fit: the same neighbours and scores as with
    # the float32 copy of the same values, global model included
    from fer_classic.models import LinearSVM
    X, y = _data(seed=3)
    X16 = (X / 10).astype(np.float16)
    X32 = X16.astype(np.float32)
    params = dict(n_neighbors=25, metric="linear", global_estimator=LinearSVM(C=0.1),
                  global_weight=0.5)
    half = LocalLearningClassifier(**params).fit(X16[:90], y[:90])
    single = LocalLearningClassifier(**params).fit(X32[:90], y[:90])
    assert half._X_fit.dtype == np.float16  # held in half precision
    np.testing.assert_array_equal(half.kneighbors(X16[90:]), single.kneighbors(X32[90:]))
    np.testing.assert_allclose(half.decision_function(X16[90:]),
                               single.decision_function(X32[90:]), rtol=1e-5, atol=1e-6)


def test_transformer_runs_local_learning_on_codes_and_the_global_model_on_the_samples():
    from sklearn.decomposition import PCA
    X, y = _data(seed=4)
    pca = PCA(3, random_state=0).fit(X[:90])
    glob = LogisticRegression(C=0.1).fit(X[:90], y[:90])
    clf = LocalLearningClassifier(n_neighbors=25, metric="linear",
                                  transformer=PCA(3, random_state=0),
                                  global_estimator=LogisticRegression(C=0.1),
                                  global_weight=0.5).fit(X[:90], y[:90])
    on_codes = LocalLearningClassifier(n_neighbors=25, metric="linear").fit(
        pca.transform(X[:90]), y[:90])
    # the model keeps the codes, not the samples; n_features_in_ is the samples'
    assert clf._X_fit.shape == (90, 3) and clf.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(clf.kneighbors(X[90:]),
                                  on_codes.kneighbors(pca.transform(X[90:])))
    np.testing.assert_allclose(
        clf.decision_function(X[90:]),
        on_codes.decision_function(pca.transform(X[90:])) + 0.5 * glob.decision_function(X[90:]))
    with pytest.raises(ValueError, match="transformer"):
        LocalLearningClassifier(transformer=LogisticRegression()).fit(X[:90], y[:90])


def test_intersection_needs_non_negative_codes_not_samples():
    from sklearn.preprocessing import FunctionTransformer
    X, y = _data(seed=5)
    clf = LocalLearningClassifier(n_neighbors=20, metric="intersection",
                                  transformer=FunctionTransformer(np.abs))
    assert clf.fit(X[:90], y[:90]).predict(X[90:]).shape == (30,)  # negative samples welcome
    with pytest.raises(ValueError, match="histogram intersection"):
        clf.set_params(transformer=FunctionTransformer(lambda Z: Z - 100)).fit(X[:90], y[:90])
