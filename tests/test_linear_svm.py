import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_estimator

from fer_classic.models.linear import LinearSVM, squared_hinge_objective


def _data(n=600, d=30, k=4, seed=0):
    return make_classification(n_samples=n, n_features=d, n_informative=12, n_classes=k,
                               n_clusters_per_class=1, random_state=seed)


def _objective(coef, intercept, X, y, classes, C):
    Y = np.where(y[:, None] == classes[None, :], 1.0, -1.0)
    return squared_hinge_objective(coef.T, intercept, X, Y, C)[0]


def test_check_estimator():
    check_estimator(LinearSVM())


@pytest.mark.parametrize("C", [0.01, 1.0])
def test_solves_linearsvc_objective_at_least_as_well(C):
    X, y = _data()
    ours = LinearSVM(C=C, tol=1e-6, max_iter=5000).fit(X, y)
    # LinearSVC penalises its intercept; with a huge intercept_scaling the
    # penalty on the intercept vanishes and both solve the same problem.
    ref = LinearSVC(C=C, dual=False, tol=1e-8, intercept_scaling=100.0, max_iter=10000)
    ref.fit(X, y)
    f_ours = _objective(ours.coef_, ours.intercept_, X, y, ours.classes_, C)
    f_ref = _objective(ref.coef_, ref.intercept_, X, y, ref.classes_, C)
    assert f_ours <= f_ref * (1 + 1e-4)
    assert np.mean(ours.predict(X) == ref.predict(X)) > 0.98


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5))
    Y = np.where(rng.random((20, 3)) > 0.5, 1.0, -1.0)
    W, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    f, gW, gb = squared_hinge_objective(W, b, X, Y, 0.7)
    eps = 1e-6
    for (i, j) in [(0, 0), (3, 2), (4, 1)]:
        Wp = W.copy()
        Wp[i, j] += eps
        num = (squared_hinge_objective(Wp, b, X, Y, 0.7)[0] - f) / eps
        assert num == pytest.approx(gW[i, j], rel=1e-3, abs=1e-4)
    bp = b.copy()
    bp[1] += eps
    assert (squared_hinge_objective(W, bp, X, Y, 0.7)[0] - f) / eps == pytest.approx(
        gb[1], rel=1e-3, abs=1e-4)


def test_sparse_equals_dense_and_float32():
    X, y = _data(seed=1)
    X[np.abs(X) < 0.8] = 0
    dense = LinearSVM(C=0.1).fit(X, y)
    sparse = LinearSVM(C=0.1).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.coef_, sparse.coef_, atol=1e-8)
    f32 = LinearSVM(C=0.1).fit(X.astype(np.float32), y)
    assert np.mean(f32.predict(X) == dense.predict(X)) > 0.99


def test_binary_has_one_hyperplane():
    X, y = _data(k=2)
    clf = LinearSVM().fit(X, y)
    assert clf.coef_.shape == (1, X.shape[1]) and clf.decision_function(X).shape == (len(X),)
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize("params, match", [
    ({"C": 0}, "'C' parameter"), ({"C": -1.0}, "'C' parameter"),
    ({"tol": 0}, "'tol' parameter"), ({"max_iter": 0}, "'max_iter' parameter"),
    ({"max_iter": 2.5}, "'max_iter' parameter"),
    ({"fit_intercept": "yes"}, "'fit_intercept' parameter"),
    ({"n_jobs": 1.5}, "'n_jobs' parameter"),
])
def test_bad_params(params, match):
    X, y = _data(n=50)
    # scikit-learn's InvalidParameterError (a ValueError) names the parameter
    with pytest.raises(InvalidParameterError, match=match):
        LinearSVM(**params).fit(X, y)


def test_single_class_is_refused():
    with pytest.raises(ValueError, match="at least 2 classes"):
        LinearSVM().fit(np.ones((5, 2)), np.zeros(5))


@pytest.mark.parametrize("as_sparse", [False, True])
def test_blocked_objective_equals_the_reference(monkeypatch, as_sparse):
    from concurrent.futures import ThreadPoolExecutor
    from fer_classic.models import linear

    X, y = _data(n=301, d=17)
    X = sp.csr_matrix(X) if as_sparse else X
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(17, 4)), rng.normal(size=4)
    Y = np.where(y[:, None] == np.arange(4)[None, :], 1.0, -1.0)
    ref = squared_hinge_objective(W, b, X, Y, 0.3)
    ranges = [(0, 120), (120, 301)]
    with ThreadPoolExecutor(2) as pool:
        for step, p in ((7, pool), (64, pool), (1000, None)):
            got = linear._blocked_objective(W, b, X, Y, 0.3, ranges, step, p)
            assert got[0] == pytest.approx(ref[0], rel=1e-12)
            np.testing.assert_allclose(got[1], ref[1], rtol=1e-10)
            np.testing.assert_allclose(got[2], ref[2], rtol=1e-10)


def test_n_jobs_gives_the_same_model(monkeypatch):
    from fer_classic.models import linear

    monkeypatch.setattr(linear, "_BLOCK_BYTES", 512)  # many blocks on small data
    X, y = _data(n=500, d=30)
    one = LinearSVM(C=0.1, tol=1e-8).fit(X, y)
    two = LinearSVM(C=0.1, tol=1e-8, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(two.coef_, one.coef_, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(two.predict(X), one.predict(X))
    again = LinearSVM(C=0.1, tol=1e-8, n_jobs=2).fit(X, y)  # deterministic
    np.testing.assert_array_equal(again.coef_, two.coef_)


def test_padded_classes_do_not_change_the_solution():
    # 7 classes on dense data are solved with 8 columns (one padding column);
    # sparse data are not padded: both reach the same model
    rng = np.random.default_rng(0)
    y = rng.integers(0, 7, 400)
    X = rng.normal(size=(400, 30)) + np.eye(7, 30)[y] * 2.0
    dense = LinearSVM(C=0.1, tol=1e-10, max_iter=5000).fit(X, y)
    sparse_fit = LinearSVM(C=0.1, tol=1e-10, max_iter=5000).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.coef_, sparse_fit.coef_, atol=1e-4)
    np.testing.assert_allclose(dense.intercept_, sparse_fit.intercept_, atol=1e-4)
    assert dense.coef_.shape == (7, 30)


def test_padding_columns_add_nothing_to_the_objective():
    from fer_classic.models.linear import _blocked_objective, _pad_classes
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 6))
    Y = np.where(rng.random((50, 7)) < 0.2, 1.0, -1.0)
    W, b = rng.normal(size=(6, 7)), rng.normal(size=7)
    value, gW, gb = squared_hinge_objective(W, b, X, Y, C=0.7)
    Y8, W8, b8 = _pad_classes(Y, 6, 8)
    W8[:, :7], b8[:7] = W, b
    v8, gW8, gb8 = _blocked_objective(W8, b8, X, Y8, 0.7, [(0, 50)], 16, None)
    assert Y8.shape == (50, 8) and v8 == pytest.approx(value)
    np.testing.assert_allclose(gW8[:, :7], gW)
    np.testing.assert_allclose(gb8[:7], gb)
    np.testing.assert_array_equal(gW8[:, 7], 0)
    assert gb8[7] == 0


def test_float16_input_is_fitted_in_float32_blocks():
    # float16 data are converted block by block: the same objective, block
    # for block, as the float32 copy of the same values
    X, y = _data(seed=2)
    X16 = (X / np.abs(X).max()).astype(np.float16)
    half = LinearSVM(C=0.1).fit(X16, y)
    single = LinearSVM(C=0.1).fit(X16.astype(np.float32), y)
    np.testing.assert_allclose(half.coef_, single.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(half.decision_function(X16),
                               single.decision_function(X16.astype(np.float32)),
                               rtol=1e-5, atol=1e-6)
