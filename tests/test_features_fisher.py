"""Tests of fer_classic.features.fisher: Fisher vectors of dense descriptors."""

import numpy as np
import pytest
from sklearn.base import clone

from fer_classic.datasets import make_synthetic_faces
from fer_classic.features import DenseSIFT, FisherVector, fisher_vector
from fer_classic.features.sift import sample_descriptors

from face_estimator_checks import check_face_transformer, expected_failures


def _reference_fv(z, mu, var, w):
    """Unnormalised Fisher vector, one descriptor and one Gaussian at a time."""
    k, d = mu.shape
    out = []
    for x_set in z:
        g_mu = np.zeros((k, d))
        g_sd = np.zeros((k, d))
        for x in x_set:
            dens = np.array([w[j] * np.prod(np.exp(-0.5 * (x - mu[j]) ** 2 / var[j])
                                            / np.sqrt(2 * np.pi * var[j])) for j in range(k)])
            post = dens / dens.sum()
            for j in range(k):
                u = (x - mu[j]) / np.sqrt(var[j])
                g_mu[j] += post[j] * u / np.sqrt(w[j])
                g_sd[j] += post[j] * (u * u - 1) / np.sqrt(2 * w[j])
        out.append(np.r_[g_mu.ravel(), g_sd.ravel()] / len(x_set))
    return np.array(out)


def test_fisher_vector_matches_definition():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 20, 4))
    mu = rng.normal(size=(3, 4))
    var = rng.uniform(0.5, 2.0, size=(3, 4))
    w = np.array([0.2, 0.3, 0.5])
    got = fisher_vector(z, mu, var, w, improved=False)
    np.testing.assert_allclose(got, _reference_fv(z, mu, var, w), rtol=1e-4, atol=1e-5)


def test_improved_fisher_vector_is_signed_sqrt_then_l2():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(2, 30, 3))
    mu, var, w = rng.normal(size=(2, 3)), np.ones((2, 3)), np.array([0.5, 0.5])
    raw = fisher_vector(z, mu, var, w, improved=False).astype(np.float64)
    expect = np.sign(raw) * np.sqrt(np.abs(raw))
    expect /= np.linalg.norm(expect, axis=1, keepdims=True)
    got = fisher_vector(z, mu, var, w)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expect, rtol=1e-4, atol=1e-6)


def test_sample_descriptors_spreads_over_faces():
    faces = np.random.default_rng(0).integers(0, 256, size=(10, 48, 48)).astype(np.uint8)
    sift = DenseSIFT(step=8).fit(faces)
    sample, keypoints = sample_descriptors(sift, faces, 50, random_state=0)
    assert sample.shape == (50, 128) and sample.dtype == np.float32
    # 5 per face, each one of that face's descriptors at the recorded keypoint
    all_desc = sift.transform_descriptors(faces)
    for row, kp in zip(sample, keypoints):
        assert (np.abs(all_desc[:, kp] - row).max(axis=1) < 1e-6).sum() >= 1
    again, kp2 = sample_descriptors(sift, faces, 50, random_state=0)
    np.testing.assert_array_equal(sample, again)
    np.testing.assert_array_equal(keypoints, kp2)


@pytest.fixture(scope="module")
def faces():
    data = make_synthetic_faces(n_per_class=6, random_state=0)
    return data.images, data.target


@pytest.fixture(scope="module")
def fitted(faces):
    return FisherVector(DenseSIFT(step=6), n_components=4, pca_components=8,
                        n_samples=2000, random_state=0).fit(faces[0])


def test_shapes_and_normalisation(fitted, faces):
    F = fitted.transform(faces[0])
    assert F.shape == (len(faces[0]), 2 * 4 * (8 + 2))
    assert F.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(F, axis=1), 1.0, rtol=1e-5)
    assert fitted.gmm_.means_.shape == (4, 10)
    # flat (n, 2304) faces give the same vectors
    np.testing.assert_allclose(fitted.transform(faces[0].reshape(len(faces[0]), -1)), F)


def test_float16_output_is_the_float32_vectors_rounded(fitted, faces):
    half = clone(fitted).set_params(dtype="float16").fit(faces[0])
    F16 = half.transform(faces[0][:5])
    assert F16.dtype == np.float16
    # the same fit (dtype only changes transform's output), rounded once
    np.testing.assert_array_equal(F16, fitted.transform(faces[0][:5]).astype(np.float16))


def test_no_spatial_weight_drops_positions(faces):
    fv = FisherVector(DenseSIFT(step=6), n_components=3, pca_components=5, spatial_weight=0,
                      n_samples=1000).fit(faces[0])
    assert fv.transform(faces[0][:2]).shape == (2, 2 * 3 * 5)


def test_deterministic_and_chunk_independent(fitted, faces):
    again = FisherVector(DenseSIFT(step=6), n_components=4, pca_components=8,
                         n_samples=2000, random_state=0).fit(faces[0])
    np.testing.assert_array_equal(fitted.transform(faces[0]), again.transform(faces[0]))
    chunked = again.set_params(chunk_size=5, n_jobs=2)
    np.testing.assert_allclose(chunked.transform(faces[0]), fitted.transform(faces[0]),
                               rtol=1e-4, atol=2e-5)  # float32 BLAS blocking


def test_separates_classes_better_than_chance(faces):
    from sklearn.svm import LinearSVC
    X, y = faces
    fv = FisherVector(DenseSIFT(step=4), n_components=8, pca_components=16, n_samples=5000)
    F = fv.fit(X[::2]).transform(X)
    acc = LinearSVC(C=1.0).fit(F[::2], y[::2]).score(F[1::2], y[1::2])
    assert acc > 2 / 7  # chance is 1/7


@pytest.mark.parametrize("kwargs, match", [
    ({"n_components": 0}, "n_components"),
    ({"pca_components": 2.5}, "pca_components"),
    ({"spatial_weight": -1}, "spatial_weight"),
    ({"spatial_weight": np.nan}, "spatial_weight"),
    ({"hellinger": "yes"}, "hellinger"),
    ({"dtype": "float64"}, "dtype"),
    ({"posterior_threshold": 1.5}, "posterior_threshold"),
    ({"pca_components": 500}, "pca_components=500"),
    ({"n_components": 10**6, "n_samples": 10**6}, "n_components"),
])
def test_bad_parameters_raise_clear_errors(faces, kwargs, match):
    params = {"extractor": DenseSIFT(step=12), "n_components": 2, "pca_components": 4,
              "n_samples": 500} | kwargs
    with pytest.raises(ValueError, match=match):
        FisherVector(**params).fit(faces[0])


def test_wrong_shape_after_fit(fitted):
    with pytest.raises(ValueError):
        fitted.transform(np.zeros((2, 40, 40), dtype=np.uint8))


def test_check_estimator():
    # image-only input, as for the other face transformers
    check_face_transformer(FisherVector(DenseSIFT(step=12), n_components=2, pca_components=4,
                                        n_samples=200),
                           expected_failures(["check_transformer_n_iter"]))


def test_posterior_threshold_approximates_the_exact_vector():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, 80, 5)).astype(np.float32)
    mu, var = rng.normal(size=(12, 5)), rng.uniform(0.5, 2, size=(12, 5))
    w = np.full(12, 1 / 12)
    exact = fisher_vector(z, mu, var, w)
    # a threshold below every posterior keeps them all: the same vector
    np.testing.assert_allclose(fisher_vector(z, mu, var, w, posterior_threshold=1e-30),
                               exact, atol=2e-6)
    for backend in ("numpy", "numba"):
        sparse_fv = fisher_vector(z, mu, var, w, posterior_threshold=1e-3, backend=backend)
        assert np.min(np.sum(sparse_fv * exact, axis=1)) > 0.999  # cosines
        assert not np.allclose(sparse_fv, exact, atol=1e-7)  # some posteriors dropped
    # the compiled pass and the sparse product sum the same kept posteriors
    np.testing.assert_allclose(
        fisher_vector(z, mu, var, w, posterior_threshold=1e-3, backend="numba"),
        fisher_vector(z, mu, var, w, posterior_threshold=1e-3, backend="numpy"),
        rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="backend"):
        fisher_vector(z, mu, var, w, posterior_threshold=1e-3, backend="cuda")
