"""Tests for fer_classic.models.kernels."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics.pairwise import chi2_kernel as sk_chi2
from sklearn.metrics.pairwise import linear_kernel as sk_linear
from sklearn.svm import SVC
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_estimator

from fer_classic.models.kernels import (
    KernelSVC,
    get_kernel,
    intersection_kernel,
    linear_kernel,
    weighted_sum_kernel,
)


def _brute_intersection(X, Y):
    return np.array([[np.minimum(x, y).sum() for y in Y] for x in X])


def _histograms(n, d=30, seed=0, density=0.3):
    rng = np.random.default_rng(seed)
    X = rng.poisson(2.0, size=(n, d)).astype(float)
    X[rng.random((n, d)) > density] = 0
    return X


def test_intersection_dense_matches_brute_force():
    X, Y = _histograms(13, seed=0), _histograms(9, seed=1)
    np.testing.assert_allclose(intersection_kernel(X, Y), _brute_intersection(X, Y))
    K = intersection_kernel(X)
    np.testing.assert_allclose(K, _brute_intersection(X, X))
    np.testing.assert_allclose(K, K.T)
    np.testing.assert_allclose(np.diag(K), X.sum(axis=1))  # k(x, x) = |x|_1


@pytest.mark.parametrize("which", ["X", "Y", "both"])
def test_intersection_sparse_paths_match_dense(which):
    X, Y = _histograms(11, seed=2), _histograms(7, seed=3)
    Xs = sparse.csr_matrix(X) if which in ("X", "both") else X
    Ys = sparse.csr_matrix(Y) if which in ("Y", "both") else Y
    np.testing.assert_allclose(intersection_kernel(Xs, Ys), _brute_intersection(X, Y))


def test_intersection_of_presence_vectors_is_dot_product():
    X = (_histograms(10, seed=4) > 0).astype(float)
    Y = (_histograms(6, seed=5) > 0).astype(float)
    np.testing.assert_allclose(intersection_kernel(X, Y), X @ Y.T)
    np.testing.assert_allclose(intersection_kernel(sparse.csr_matrix(X), sparse.csr_matrix(Y)),
                               X @ Y.T)


def test_intersection_kernel_is_positive_semidefinite():
    X = np.random.default_rng(0).random((40, 12))
    eig = np.linalg.eigvalsh(intersection_kernel(X))
    assert eig.min() > -1e-8


def test_intersection_rejects_negative_values():
    with pytest.raises(ValueError, match="intersection_kernel as X; .* non-negative"):
        intersection_kernel(np.array([[1.0, -1.0]]))
    with pytest.raises(ValueError, match="intersection_kernel as Y; .* non-negative"):
        intersection_kernel(np.ones((1, 2)), np.array([[1.0, -1.0]]))


def test_intersection_large_dense_blocks():
    # exercises the blocked loop (more rows x cols x features than one block)
    rng = np.random.default_rng(0)
    X = rng.random((70, 3000), dtype=np.float32)
    Y = rng.random((50, 3000), dtype=np.float32)
    K = intersection_kernel(X, Y)
    np.testing.assert_allclose(K[5, 7], np.minimum(X[5], Y[7]).sum(), rtol=1e-5)
    np.testing.assert_allclose(K[69, 49], np.minimum(X[69], Y[49]).sum(), rtol=1e-5)


def test_get_kernel_names_and_callables():
    X = _histograms(5) + 0.1
    np.testing.assert_allclose(get_kernel("chi2")(X, X, gamma=0.5), sk_chi2(X, X, gamma=0.5))
    np.testing.assert_allclose(get_kernel("linear")(X, X), X @ X.T)
    fn = lambda A, B: A @ B.T  # noqa: E731
    assert get_kernel(fn) is fn
    with pytest.raises(ValueError, match="kernel must be one of"):
        get_kernel("rbf-ish")


def test_weighted_sum_kernel_is_the_sum_of_block_kernels():
    X, Y = _histograms(8, seed=6), _histograms(5, seed=7)
    blocks = [slice(0, 10), slice(10, 30)]
    K = weighted_sum_kernel(X, Y, blocks=blocks, weights=[2.0, 0.5], kernel="intersection")
    expected = (2.0 * _brute_intersection(X[:, :10], Y[:, :10])
                + 0.5 * _brute_intersection(X[:, 10:], Y[:, 10:]))
    np.testing.assert_allclose(K, expected)
    # unit weights and the linear kernel: same as one dot product
    np.testing.assert_allclose(weighted_sum_kernel(X, Y, blocks=blocks), X @ Y.T)
    # index arrays work as blocks too
    K2 = weighted_sum_kernel(X, Y, blocks=[np.arange(10), np.arange(10, 30)],
                             weights=[2.0, 0.5], kernel="intersection")
    np.testing.assert_allclose(K2, K)


@pytest.mark.parametrize("kwargs, match", [
    ({"blocks": []}, "at least one"),
    ({"blocks": [slice(5, 5)]}, "non-empty"),
    ({"blocks": [slice(0, 30, 2)]}, "contiguous"),
    ({"blocks": [np.array([0, 99])]}, "column indices"),
    ({"blocks": [slice(0, 10)], "weights": [1.0, 2.0]}, "one entry per block"),
])
def test_weighted_sum_kernel_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        weighted_sum_kernel(_histograms(3), **kwargs)


def _blobs(n=90, d=20, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    centres = rng.random((n_classes, d)) * 3
    X = np.abs(centres[y] + rng.normal(0, 0.8, size=(n, d)))
    return X, y


def test_kernel_svc_ovo_equals_svc_with_callable_kernel():
    X, y = _blobs()
    ours = KernelSVC(kernel="intersection", C=0.5, multi_class="ovo").fit(X[:60], y[:60])
    ref = SVC(kernel=intersection_kernel, C=0.5).fit(X[:60], y[:60])
    np.testing.assert_array_equal(ours.predict(X[60:]), ref.predict(X[60:]))
    np.testing.assert_allclose(ours.decision_function(X[60:]), ref.decision_function(X[60:]),
                               atol=1e-8)
    np.testing.assert_array_equal(ours.support_, ref.support_)


def test_kernel_svc_ovr_trains_one_svm_per_class():
    X, y = _blobs()
    clf = KernelSVC(kernel="linear", C=1.0).fit(X, y)
    assert len(clf.estimators_) == 3 and clf.svc_ is None
    scores = clf.decision_function(X)
    assert scores.shape == (90, 3)
    for k in range(3):
        ref = SVC(kernel="linear", C=1.0).fit(X, (y == k).astype(int))
        np.testing.assert_allclose(scores[:, k], ref.decision_function(X), atol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[scores.argmax(axis=1)])
    assert clf.score(X, y) > 0.9


def test_kernel_svc_keeps_support_vectors_with_or_without_a_copy():
    rng = np.random.default_rng(0)
    # few samples in many dimensions: every sample is a support vector
    X, y = rng.normal(size=(20, 200)), np.arange(20) % 3
    clf = KernelSVC(kernel="linear", C=1.0).fit(X, y)
    assert len(clf.support_) == 20 and clf.support_vectors_ is X
    ref = SVC(kernel="linear", C=1.0).fit(X, (y == 1).astype(int))
    np.testing.assert_allclose(clf.decision_function(X[:5])[:, 1], ref.decision_function(X[:5]),
                               atol=1e-6)
    # well-separated blobs: a few support vectors, copied
    Xb, yb = _blobs()
    clf = KernelSVC(kernel="linear", C=1.0).fit(Xb, yb)
    assert len(clf.support_) < len(Xb)
    np.testing.assert_array_equal(clf.support_vectors_, Xb[clf.support_])


def test_kernel_svc_blocks_and_sparse_input():
    X, y = _blobs()
    blocks, weights = [slice(0, 5), slice(5, 20)], [3.0, 1.0]
    clf = KernelSVC(kernel="intersection", blocks=blocks, block_weights=weights).fit(X, y)
    fn = lambda A, B: weighted_sum_kernel(A, B, blocks=blocks, weights=weights,  # noqa: E731
                                          kernel="intersection")
    ref = KernelSVC(kernel=fn).fit(X, y)
    np.testing.assert_allclose(clf.decision_function(X), ref.decision_function(X), atol=1e-8)
    sp = KernelSVC(kernel="intersection", predict_chunk_size=7).fit(sparse.csr_matrix(X), y)
    dense = KernelSVC(kernel="intersection").fit(X, y)
    np.testing.assert_allclose(sp.decision_function(sparse.csr_matrix(X)),
                               dense.decision_function(X), atol=1e-8)


def test_kernel_svc_errors():
    X, y = _blobs()
    with pytest.raises(NotFittedError):
        KernelSVC().predict(X)
    with pytest.raises(ValueError, match=r"Negative values .* KernelSVC\(kernel='intersection'\)"):
        KernelSVC(kernel="intersection").fit(X - 10, y)
    with pytest.raises(ValueError, match="Negative values"):
        KernelSVC(kernel="chi2").fit(X, y).predict(X - 10)


@pytest.mark.parametrize("params", [
    {"kernel": "poly"}, {"multi_class": "crammer"}, {"predict_chunk_size": 0},
    {"kernel_params": [0.5]}, {"blocks": slice(0, 2)}, {"block_weights": 2.0},
    # the parameters SVC takes, constrained as SVC constrains them (also for
    # multi_class='ovr', which calls libsvm without SVC.fit)
    {"C": 0.0}, {"C": -1.0}, {"class_weight": "balance"}, {"tol": 0}, {"cache_size": 0},
    {"max_iter": -2}, {"decision_function_shape": "ovo-ish"}, {"break_ties": "no"},
    {"random_state": "seed"},
])
def test_kernel_svc_parameter_errors(params):
    X, y = _blobs()
    name = next(iter(params))
    # scikit-learn's InvalidParameterError (a ValueError) names the parameter
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of KernelSVC"):
        KernelSVC(**params).fit(np.abs(X), y)


def test_linear_kernel_accepts_sparse():
    X = _histograms(4)
    np.testing.assert_allclose(linear_kernel(sparse.csr_matrix(X)), X @ X.T)
    # scikit-learn's, re-exported (it gave the same bits as our own X @ Y.T had)
    assert linear_kernel is sk_linear


# scikit-learn's check_class_weight_classifiers feeds raw make_blobs data with
# negative values even when the estimator declares positive_only, and
# histogram kernels are undefined for negative values.
_NEGATIVE = ("the check feeds negative data despite the positive_only tag; histogram "
             "kernels need non-negative features")


@pytest.mark.parametrize("est, expected", [
    (KernelSVC(), {"check_class_weight_classifiers": _NEGATIVE}),
    (KernelSVC(kernel="chi2"), {"check_class_weight_classifiers": _NEGATIVE}),
    (KernelSVC(kernel="linear"), {}),
    (KernelSVC(kernel="linear", multi_class="ovo"), {}),
])
def test_check_estimator(est, expected):
    check_estimator(est, expected_failed_checks=expected)


def test_kernel_svc_ovr_binary_svms_equal_svc_with_or_without_the_direct_libsvm_call(
        monkeypatch, capfd):
    from sklearn.svm import _libsvm

    X, y = _blobs()
    weights = {0: 2.0, 1: 1.0, 2: 0.5}
    _libsvm.set_verbosity_wrap(1)  # as in a fresh process: libsvm talks
    clf = KernelSVC(kernel="linear", C=0.3, class_weight=weights).fit(X, y)
    assert capfd.readouterr().out == ""  # ...unless told not to
    sample_weight = np.array([weights[v] for v in y])
    for k, est in enumerate(clf.estimators_):
        ref = SVC(kernel="precomputed", C=0.3).fit(
            X @ X.T, (y == k).astype(int), sample_weight=sample_weight)
        np.testing.assert_array_equal(est.support_, ref.support_)
        np.testing.assert_allclose(est.dual_coef_, ref.dual_coef_, atol=1e-10)
        np.testing.assert_allclose(est.intercept_, ref.intercept_, atol=1e-10)
    # the direct call is what runs: SVC.fit is not needed for one-vs-rest
    monkeypatch.setattr(SVC, "fit", lambda *a, **k: pytest.fail("SVC.fit called"))
    direct = KernelSVC(kernel="linear", C=0.3, class_weight=weights).fit(X, y)
    monkeypatch.undo()
    # without scikit-learn's private libsvm binding, SVC.fit does the work
    import sklearn.svm

    monkeypatch.setattr(sklearn.svm, "_libsvm", object())
    fallback = KernelSVC(kernel="linear", C=0.3, class_weight=weights).fit(X, y)
    np.testing.assert_allclose(fallback.decision_function(X), direct.decision_function(X),
                               atol=1e-10)
    np.testing.assert_allclose(direct.decision_function(X), clf.decision_function(X))


def test_kernel_svc_ovr_warns_when_libsvm_stops_early():
    X, y = _blobs()
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        KernelSVC(kernel="linear", C=100.0, max_iter=2).fit(X, y)
