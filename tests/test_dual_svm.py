"""Dual coordinate descent for the linear SVM (fer_classic.models.DualLinearSVM)."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import check_estimator

from fer_classic.models import DualLinearSVM


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=300, n_features=40, n_informative=15, n_classes=4,
                               random_state=0)
    return X / np.linalg.norm(X, axis=1, keepdims=True), y


@pytest.mark.parametrize("C, scaling", [(1.0, 1.0), (0.1, 1.0), (0.3, 2.0), (1.0, 0.0)])
def test_reaches_liblinears_solution(data, C, scaling):
    # the same problem as LinearSVC(dual=True), liblinear solved tightly; ours
    # to tol 1e-4, which its float32 steps reach: weights (of size ~2) within 5e-4
    X, y = data
    ref = LinearSVC(C=C, dual=True, tol=1e-9, max_iter=200_000, intercept_scaling=scaling or 1,
                    fit_intercept=scaling > 0).fit(X, y)
    got = DualLinearSVM(C=C, tol=1e-4, max_iter=100_000, intercept_scaling=scaling,
                        random_state=0).fit(X, y)
    np.testing.assert_allclose(got.coef_, ref.coef_, atol=5e-4)
    np.testing.assert_allclose(got.intercept_, ref.intercept_, atol=5e-4)
    assert (got.predict(X) == ref.predict(X)).all()


def test_two_classes_give_one_row_as_linearsvc(data):
    X, y = data
    y2 = np.where(y > 1, "b", "a")
    got = DualLinearSVM(tol=1e-4, max_iter=100_000, random_state=0).fit(X, y2)
    ref = LinearSVC(dual=True, tol=1e-9, max_iter=200_000).fit(X, y2)
    assert got.coef_.shape == (1, X.shape[1]) and got.decision_function(X).shape == (len(X),)
    np.testing.assert_allclose(got.coef_, ref.coef_, atol=5e-4)
    assert (got.predict(X) == ref.predict(X)).all()


def test_the_same_bits_for_any_number_of_threads_and_float16_read_as_float32(data):
    X, y = data
    X16 = X.astype(np.float16)
    fits = [DualLinearSVM(random_state=3, n_jobs=n).fit(X16, y) for n in (1, 2, 3)]
    fits.append(DualLinearSVM(random_state=3).fit(X16.astype(np.float32), y))
    for other in fits[1:]:
        assert np.array_equal(other.coef_, fits[0].coef_)
        assert np.array_equal(other.intercept_, fits[0].intercept_)
        assert other.n_iter_ == fits[0].n_iter_


def test_the_kernel_takes_liblinears_coordinate_steps():
    # one block of rows, each problem's steps on the rows in order (the
    # reference, in float64 Python); the kernel keeps float32 weights
    from fer_classic.models._dual_kernels import dual_cd_block

    rng = np.random.default_rng(0)
    m, d, k, bias, diag = 12, 9, 3, 1.0, 0.5
    X = rng.standard_normal((m, d)).astype(np.float32)
    Y = np.where(rng.random((m, k)) < 0.4, 1.0, -1.0)
    Q = np.einsum("ij,ij->i", X, X, dtype=np.float64) + bias * bias + diag
    W0 = (rng.standard_normal((k, d)) * 0.1).astype(np.float32)
    alpha0 = np.where(rng.random((m, k)) < 0.5, rng.random((m, k)), 0.0)
    alpha, W, wb, pg = alpha0.copy(), W0.copy(), np.zeros(k), np.array([[-np.inf, np.inf]] * k)
    dual_cd_block(X, np.arange(m), Y, alpha, W, wb, bias, diag, Q, pg)

    ref_alpha, ref_W, ref_wb = alpha0.copy(), W0.astype(np.float64), np.zeros(k)
    for c in range(k):
        for r in range(m):
            G = Y[r, c] * (X[r] @ ref_W[c] + bias * ref_wb[c]) - 1.0 + diag * ref_alpha[r, c]
            if ref_alpha[r, c] > 0 or G < 0:
                new = max(ref_alpha[r, c] - G / Q[r], 0.0)
                step = (new - ref_alpha[r, c]) * Y[r, c]
                ref_alpha[r, c] = new
                ref_W[c] += step * X[r]
                ref_wb[c] += step * bias
    np.testing.assert_allclose(alpha, ref_alpha, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(W, ref_W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wb, ref_wb, rtol=1e-5, atol=1e-6)
    assert (pg[:, 0] >= pg[:, 1]).all()


def test_refuses_sparse_data_and_warns_when_not_converged(data):
    X, y = data
    with pytest.raises(TypeError, match="LinearSVC\\(dual=True\\)"):
        DualLinearSVM().fit(sparse.csr_matrix(X), y)
    with pytest.warns(ConvergenceWarning, match="max_iter=1 epochs"):
        DualLinearSVM(tol=1e-9, max_iter=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        DualLinearSVM().fit(X, np.zeros(len(X)))


def test_check_estimator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(DualLinearSVM(random_state=0))
