"""LBP codes equal to scikit-image's, cell histograms, fast transformer."""

import itertools
import warnings

import numpy as np
import pytest
from skimage.feature import local_binary_pattern as sk_lbp
from sklearn.exceptions import NotFittedError

from fer_classic.features import LBP, lbp_codes, lbp_histograms
from fer_classic.features.lbp import lbp_n_bins
from face_estimator_checks import (
    CHECK_IMAGE_SHAPE,
    FACE_TRANSFORMER_FAILURES,
    check_face_transformer,
)

METHODS = ["default", "ror", "uniform", "nri_uniform", "var"]


def _test_faces(shape=(48, 48)):
    """Random 8-bit faces, few-level faces (ties everywhere), a flat face,
    a linear ramp (exact ties between opposite neighbours) and float pixels."""
    rng = np.random.default_rng(0)
    h, w = shape
    ramp = (np.arange(h)[:, None] * 3 + np.arange(w)[None, :] * 2) % 256
    return [
        rng.integers(0, 256, (2, h, w)).astype(np.uint8),
        rng.integers(0, 3, (2, h, w)).astype(np.uint8),
        np.full((1, h, w), 9, dtype=np.uint8),
        ramp[None].astype(np.uint8),
        rng.random((1, h, w)),
    ]


def _reference(faces, P, R, method):
    # float faces hold intensities in [0, 1]: LBP sees them times 255
    if np.issubdtype(faces.dtype, np.floating):
        faces = faces * faces.dtype.type(255)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-image warns on float images
        return np.stack([sk_lbp(f, P, R, method) for f in faces])


@pytest.mark.parametrize(
    "P, R, method",
    [(P, R, m) for (P, R), m in itertools.product([(8, 1), (16, 2), (24, 3)], METHODS)],
)
def test_codes_match_skimage(P, R, method):
    for faces in _test_faces():
        ours = lbp_codes(faces, P=P, R=R, method=method)
        ref = _reference(faces, P, R, method)
        assert ours.shape == ref.shape
        # Exact equality, NaN where scikit-image has NaN ('var' of flat spots).
        np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("P, R", [(4, 1.5), (12, 2.5), (8, 0.7), (6, 1.1)])
def test_codes_match_skimage_other_radii(P, R):
    faces = np.concatenate([f for f in _test_faces((30, 41)) if f.dtype == np.uint8])
    for method in ["default", "uniform", "nri_uniform"]:
        np.testing.assert_array_equal(
            lbp_codes(faces, P=P, R=R, method=method), _reference(faces, P, R, method)
        )


def test_code_dtypes_and_ranges():
    faces = _test_faces()[0]
    assert lbp_codes(faces, method="uniform").dtype == np.uint8
    assert lbp_codes(faces, P=16, R=2, method="default").dtype == np.uint16
    assert lbp_codes(faces, P=24, R=3, method="default").dtype == np.uint32
    assert lbp_codes(faces, method="var").dtype == np.float64
    for method in ["default", "ror", "uniform", "nri_uniform"]:
        assert lbp_codes(faces, method=method).max() < lbp_n_bins(8, method)
    np.testing.assert_array_equal(lbp_codes(faces.reshape(2, -1)), lbp_codes(faces))
    with pytest.raises(ValueError, match="no bins"):
        lbp_n_bins(8, "var")


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(P=0), "P must"),
        (dict(P=32), "P must"),
        (dict(R=0), "R must"),
        (dict(R=float("nan")), "R must"),
        (dict(R="1"), "R must"),
        (dict(method="rotation"), "method"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        lbp_codes(np.zeros((1, 48, 48)), **params)
    # the transformer's message (scikit-learn's) names the parameter and its allowed values
    (name,) = params
    with pytest.raises(ValueError, match=f"The '{name}' parameter of LBP must be"):
        LBP(**params).fit(np.zeros((1, 48, 48)))


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        lbp_codes(np.zeros((2, 50)))
    with pytest.raises(ValueError, match="NaN"):
        lbp_codes(np.full((1, 48, 48), np.inf))
    with pytest.raises(TypeError, match="numbers"):
        LBP().fit(np.array([["a"] * 2304]))


def _naive_histograms(codes, n_bins, grid):
    n, h, w = codes.shape
    gh, gw = grid
    out = []
    for face in codes:
        feats = []
        for i in range(gh):
            rows = [r for r in range(h) if r * gh // h == i]
            for j in range(gw):
                cols = [c for c in range(w) if c * gw // w == j]
                cell = face[np.ix_(rows, cols)]
                feats.append(np.histogram(cell, bins=n_bins, range=(0, n_bins))[0])
        out.append(np.concatenate(feats))
    return np.array(out, dtype=np.float32)


@pytest.mark.parametrize("grid", [(6, 6), (5, 7), (1, 1), 4])
def test_histograms(grid):
    codes = np.random.default_rng(1).integers(0, 10, (3, 48, 48))
    grid2 = (grid, grid) if isinstance(grid, int) else grid
    expected = _naive_histograms(codes, 10, grid2)
    ours = lbp_histograms(codes, n_bins=10, grid_shape=grid)
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours, expected)
    normed = lbp_histograms(codes, n_bins=10, grid_shape=grid, normalize=True)
    cells = normed.reshape(3, grid2[0] * grid2[1], 10)
    np.testing.assert_allclose(cells.sum(axis=2), 1, rtol=1e-6)


def test_histograms_bad_input():
    codes = np.zeros((1, 48, 48), dtype=int)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        lbp_histograms(codes + 10, n_bins=10)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        lbp_histograms(codes - 1, n_bins=10)
    with pytest.raises(ValueError, match="whole numbers"):
        lbp_histograms(codes + 0.5, n_bins=10)
    with pytest.raises(ValueError, match="grid_shape"):
        lbp_histograms(codes, n_bins=10, grid_shape=(6, 0))
    with pytest.raises(ValueError, match="grid_shape"):
        lbp_histograms(codes, n_bins=10, grid_shape=(49, 2))
    with pytest.raises(ValueError, match="n_bins"):
        lbp_histograms(codes, n_bins=0)


@pytest.mark.parametrize(
    "P, R, method, grid",
    [(8, 1, "uniform", (6, 6)), (8, 2, "nri_uniform", (4, 4)), (8, 1, "ror", (3, 5)),
     (16, 2, "uniform", (6, 6)), (4, 1, "default", (2, 2))],
)
def test_transformer_matches_codes_then_histograms(P, R, method, grid):
    faces = np.concatenate(_test_faces()[:4])
    est = LBP(P=P, R=R, method=method, grid_shape=grid)
    out = est.fit_transform(faces)
    codes = lbp_codes(faces, P=P, R=R, method=method)
    expected = lbp_histograms(codes, n_bins=lbp_n_bins(P, method), grid_shape=grid, normalize=True)
    np.testing.assert_array_equal(out, expected)
    assert out.shape == (len(faces), est.n_features_out_)
    assert len(est.get_feature_names_out()) == est.n_features_out_
    raw = LBP(P=P, R=R, method=method, grid_shape=grid, normalize=False).fit_transform(faces)
    np.testing.assert_array_equal(raw, lbp_histograms(codes, n_bins=est.n_bins_, grid_shape=grid))


def test_transformer_threads_and_batches():
    faces = np.random.default_rng(2).integers(0, 256, (70, 48, 48)).astype(np.uint8)
    single = LBP().fit(faces).transform(faces)
    threaded = LBP(n_jobs=2).fit(faces).transform(faces.reshape(70, -1))
    np.testing.assert_array_equal(threaded, single)
    np.testing.assert_array_equal(LBP().fit(faces).transform(faces[33:34]), single[33:34])
    assert single.shape == (70, 360)


def test_transformer_refusals():
    faces = np.zeros((2, 48, 48))
    with pytest.raises(ValueError, match="var"):
        LBP(method="var").fit(faces)
    with pytest.raises(ValueError, match="features per face"):
        LBP(P=24, R=3, method="default").fit(faces)
    with pytest.raises(ValueError, match="grid_shape"):
        LBP(grid_shape=(0, 6)).fit(faces)
    with pytest.raises(ValueError, match="normalize"):
        LBP(normalize="yes").fit(faces)
    with pytest.raises(ValueError, match="n_jobs"):
        LBP(n_jobs=0).fit(faces)
    with pytest.raises(NotFittedError):
        LBP().transform(faces)


def test_check_estimator():
    check_face_transformer(
        LBP(grid_shape=1, image_shape=CHECK_IMAGE_SHAPE), FACE_TRANSFORMER_FAILURES
    )
