"""SampledPCA: the PCA of a sample of rows, projected block by block."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.utils.estimator_checks import check_estimator

from fer_classic.features import SampledPCA


def _vectors(n=300, d=40, seed=0):
    rng = np.random.default_rng(seed)
    # a few strong directions, as feature vectors have
    return (rng.normal(size=(n, 5)) * [9, 7, 5, 3, 2]) @ rng.normal(size=(5, d)) \
        + rng.normal(0, 0.3, size=(n, d))


def test_all_rows_sampled_is_scikit_learns_pca_made_unit_length():
    X = _vectors()
    codes = SampledPCA(4, n_samples=10_000, dtype="float32", random_state=0).fit_transform(X)
    reference = PCA(4, svd_solver="full").fit_transform(X)
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    # components are defined up to sign
    signs = np.sign(np.sum(codes * reference, axis=0))
    np.testing.assert_allclose(codes * signs, reference, atol=1e-4)


def test_fit_reads_only_the_sample():
    X = _vectors(n=400)
    est = SampledPCA(3, n_samples=50, random_state=1).fit(X)
    rows = np.sort(np.random.RandomState(1).choice(400, 50, replace=False))
    np.testing.assert_allclose(est.mean_, X[rows].mean(axis=0))
    assert est.components_.dtype == np.float16  # kept as the codes are
    # the same seed draws the same sample and SVD: identical codes
    np.testing.assert_array_equal(est.transform(X),
                                  SampledPCA(3, n_samples=50, random_state=1).fit_transform(X))


def test_codes_of_float16_rows_do_not_depend_on_the_batch():
    X = _vectors(n=500).astype(np.float16)
    est = SampledPCA(6, n_samples=200, random_state=0).fit(X)
    whole = est.transform(X)
    assert whole.dtype == np.float16 and whole.shape == (500, 6)
    np.testing.assert_array_equal(np.vstack([est.transform(X[:7]), est.transform(X[7:])]), whole)
    np.testing.assert_array_equal(np.vstack([est.transform(X[i:i + 1]) for i in range(3)]),
                                  whole[:3])
    # float16 input is computed in float32: the float32 copy gives the same codes
    np.testing.assert_array_equal(est.transform(X.astype(np.float32)), whole)


def test_normalize_false_keeps_the_projection():
    X = _vectors()
    est = SampledPCA(4, normalize=False, dtype="float32", random_state=0).fit(X)
    reference = PCA(4, svd_solver="randomized", random_state=np.random.RandomState(0).randint(
        np.iinfo(np.int32).max)).fit(X)  # the seed SampledPCA draws after its (empty) sample
    assert est.explained_variance_ratio_.shape == (4,)
    np.testing.assert_allclose(np.abs(est.transform(X)), np.abs(reference.transform(X)),
                               rtol=1e-4, atol=1e-3)


def test_feature_names_and_errors():
    X = _vectors()
    est = SampledPCA(2, random_state=0).fit(X)
    assert list(est.get_feature_names_out()) == ["sampledpca0", "sampledpca1"]
    with pytest.raises(ValueError, match="n_components=50 must be at most the number of sampled "
                                         r"rows \(20\) and of features \(40\)"):
        SampledPCA(50, n_samples=20).fit(X)
    with pytest.raises(ValueError, match="dtype"):
        SampledPCA(2, dtype="int8").fit(X)


@pytest.mark.slow
def test_check_estimator():
    check_estimator(SampledPCA(n_components=1, random_state=0))


def test_fitting_leaves_the_input_untouched():
    # the PCA centres its sample in place: the sample must be a copy
    for n_samples in (50, 10_000):  # a sample of the rows, and all of them
        X = _vectors(n=200)
        before = X.copy()
        SampledPCA(3, n_samples=n_samples, random_state=0).fit(X)
        np.testing.assert_array_equal(X, before)
