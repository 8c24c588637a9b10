"""Raw-pixel features: scaling, equalisation, standardisation, validation."""


import cv2
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from fer_classic.features import Pixels
from face_estimator_checks import (
    CHECK_IMAGE_SHAPE,
    FACE_TRANSFORMER_FAILURES,
    check_face_transformer,
)


@pytest.fixture
def faces():
    rng = np.random.default_rng(0)
    # Low-contrast faces, so that equalisation visibly changes them.
    return rng.integers(60, 120, (5, 48, 48)).astype(np.uint8)


def test_plain_pixels(faces):
    est = Pixels()
    out = est.fit_transform(faces)
    assert out.dtype == np.float32 and out.shape == (5, 2304)
    np.testing.assert_allclose(out, faces.reshape(5, -1) / 255.0, rtol=1e-6)
    assert est.n_features_in_ == est.n_features_out_ == 2304
    # floats hold intensities in [0, 1]: faces / 255 are the same faces
    np.testing.assert_allclose(est.transform(faces.reshape(5, -1) / 255.0), out, rtol=1e-6)
    assert est.get_feature_names_out()[49] == "pixel_1_1"


def test_equalize_matches_opencv(faces):
    out = Pixels(equalize=True).fit_transform(faces)
    expected = np.stack([cv2.equalizeHist(f) for f in faces]).reshape(5, -1) / 255.0
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.min() == 0 and out.max() == 1  # stretched to the full range
    # float faces in [0, 1] are rounded to the 256 levels, then equalised alike
    np.testing.assert_array_equal(Pixels(equalize=True).fit_transform(faces / 255.0), out)


def test_standardize(faces):
    out = Pixels(standardize=True).fit_transform(faces)
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=1), 1, rtol=1e-4)
    flat = np.full((2, 48, 48), 77, dtype=np.uint8)
    flat_out = Pixels(standardize=True).fit_transform(flat)
    assert np.isfinite(flat_out).all() and not flat_out.any()
    both = Pixels(equalize=True, standardize=True).fit_transform(faces)
    np.testing.assert_allclose(both.std(axis=1), 1, rtol=1e-4)


def test_floats_are_kept_on_their_scale(faces):
    for X in (faces / 255.0, faces / 255.0 - 0.5, faces.astype(np.float32), faces * -3e3):
        out = Pixels().fit(X).transform(X)
        np.testing.assert_allclose(out, X.reshape(len(X), -1), rtol=1e-6)
    # in [0, 1] exactly as before: times 255 in the input's dtype, then times 1/255 in float32
    x = faces / 255.0
    expected = (np.clip(x * 255, 0, 255).astype(np.float32) * np.float32(1 / 255))
    np.testing.assert_array_equal(Pixels().fit_transform(x), expected.reshape(len(x), -1))


def test_validation(faces):
    with pytest.raises(ValueError, match="0..255"):
        Pixels().fit(faces.astype(np.int16) * 3)
    with pytest.raises(ValueError, match="equalize"):
        Pixels(equalize="yes").fit(faces)
    with pytest.raises(ValueError, match="standardize"):
        Pixels(standardize=1).fit(faces)
    with pytest.raises(ValueError, match="shape"):
        Pixels().fit(np.zeros((3, 48)))
    with pytest.raises(NotFittedError):
        Pixels().transform(faces)


@pytest.mark.parametrize("params", [{}, {"standardize": True}, {"equalize": True}],
                         ids=["plain", "standardize", "equalize"])
def test_check_estimator(params):
    check_face_transformer(Pixels(**params, image_shape=CHECK_IMAGE_SHAPE),
                           FACE_TRANSFORMER_FAILURES)
