"""Per-face histogram equalisation (fer_classic.features.contrast)."""


import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from face_estimator_checks import (
    CHECK_IMAGE_SHAPE,
    FACE_TRANSFORMER_FAILURES,
    check_face_transformer,
)
from fer_classic.datasets import make_synthetic_faces
from fer_classic.features import HOG, HistogramEqualization, Pixels, equalize_faces


@pytest.fixture(scope="module")
def faces():
    return make_synthetic_faces(n_per_class=3, random_state=0).get_split("Training")[0]


def _gamma(faces, g):
    return np.rint(255 * (faces / 255.0) ** g).astype(np.uint8)


def test_equalised_faces_span_the_range_and_keep_the_order(faces):
    eq = equalize_faces(faces)
    assert eq.dtype == np.uint8 and eq.shape == faces.shape
    assert (eq.reshape(len(eq), -1).max(axis=1) == 255).all()
    f, e = faces[0].ravel(), eq[0].ravel()
    order = np.argsort(f, kind="stable")
    assert (np.diff(e[order].astype(int)) >= 0).all()  # an increasing map of the levels


@pytest.mark.parametrize("change", ["gamma 0.5", "gamma 2", "half contrast", "+40", "-40"])
def test_monotone_changes_barely_move_the_equalised_face(faces, change):
    f = faces.astype(int)
    changed = {"gamma 0.5": lambda: _gamma(faces, 0.5), "gamma 2": lambda: _gamma(faces, 2.0),
               "half contrast": lambda: (f // 2 + 64).astype(np.uint8),
               "+40": lambda: np.clip(f + 40, 0, 255).astype(np.uint8),
               "-40": lambda: np.clip(f - 40, 0, 255).astype(np.uint8)}[change]()
    before = np.abs(faces.astype(int) - changed).mean()
    after = np.abs(equalize_faces(faces).astype(int) - equalize_faces(changed)).mean()
    assert after < before / 3  # levels merged by the change are all that moves
    assert after < 8


def test_a_strictly_increasing_map_changes_nothing(faces):
    half = faces // 2  # levels 0..127, then spread to the odd levels 1..255
    assert (equalize_faces(2 * half + 1) == equalize_faces(half)).all()


def test_transformer_matches_the_function_and_accepts_floats(faces):
    eq = HistogramEqualization()
    out = eq.fit_transform(faces)
    assert out.shape == (len(faces), 2304) and out.dtype == np.uint8
    assert (out == equalize_faces(faces).reshape(len(faces), -1)).all()
    assert (eq.transform(faces / np.float32(255)) == out).all()  # floats in [0, 1]
    assert (eq.transform(faces.reshape(len(faces), -1)) == out).all()
    # mirroring and equalising commute, so mirrored views stay exact
    assert (eq.transform(faces[:, :, ::-1]).reshape(faces.shape) == out.reshape(faces.shape)
            [:, :, ::-1]).all()
    names = eq.get_feature_names_out()
    assert names[0] == "pixel_0_0" and len(names) == 2304


def test_it_feeds_the_feature_extractors(faces):
    a = make_pipeline(HistogramEqualization(), Pixels()).fit_transform(faces)
    assert np.array_equal(a, Pixels(equalize=True).fit_transform(faces))
    h = make_pipeline(HistogramEqualization(), HOG()).fit_transform(faces)
    assert np.array_equal(h, HOG().fit_transform(equalize_faces(faces)))


def test_bad_input_and_parameters(faces):
    with pytest.raises(NotFittedError):
        HistogramEqualization().transform(faces)
    with pytest.raises(ValueError, match="image_shape"):
        HistogramEqualization(image_shape=(48, 0)).fit(faces)
    with pytest.raises(ValueError, match="image_shape"):
        HistogramEqualization(image_shape=[48, 48]).fit(faces)
    with pytest.raises(ValueError, match=r"intensities in \[0, 1\]"):
        HistogramEqualization().fit(faces.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        HistogramEqualization().fit(np.zeros((3, 48)))


def test_check_estimator():
    check_face_transformer(HistogramEqualization(image_shape=CHECK_IMAGE_SHAPE),
                           FACE_TRANSFORMER_FAILURES)
