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
from fer_classic.features import (HOG, ContrastJitter, HistogramEqualization, Pixels,
                                  equalize_faces)


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


@pytest.mark.parametrize("values", [
    lambda f: f.astype(np.float32),     # 0..255 intensities stored as floats
    lambda f: f / 127.5,                # [0, 2]
    lambda f: f / 127.5 - 1,            # [-1, 1]
    lambda f: f * 1e3 - 7.0,            # another scale and offset
], ids=["0-255", "0-2", "minus1-1", "scaled"])
def test_floats_of_any_range_are_equalised_by_the_order_of_their_levels(faces, values):
    eq = HistogramEqualization().fit(values(faces))
    assert (eq.transform(values(faces)) == eq.transform(faces)).all()


def test_levels_beyond_0_255_follow_opencvs_rule():
    """The rule for levels outside 0..255 is cv2.equalizeHist's, bit for bit, on 0..255."""
    import cv2

    from fer_classic.features.contrast import _equalize_levels

    rng = np.random.default_rng(0)
    for k in range(400):
        h, w = rng.integers(1, 40, 2)
        lo = rng.integers(0, 256)
        face = rng.integers(lo, 256, (h, w)).astype(np.uint8)
        if k % 3 == 0:  # few levels, ties
            face = rng.choice(np.unique(face)[:3], (h, w)).astype(np.uint8)
        assert (_equalize_levels(face.astype(np.float64)) == cv2.equalizeHist(face)).all()
        assert (_equalize_levels(face * 10.0 - 500) == cv2.equalizeHist(face)).all()
    # a face of one level keeps it, clipped to 0..255, as OpenCV keeps it
    assert (equalize_faces(np.full((1, 2, 2), 900.0), clip=False) == 255).all()
    assert (equalize_faces(np.full((1, 2, 2), 9.0), clip=False) == 9).all()
    # clip=True (the default) clips first, as before
    assert (equalize_faces(np.array([[[-5.0, 300.0]]]))
            == equalize_faces(np.array([[[0, 255]]], dtype=np.uint8))).all()


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
    with pytest.raises(ValueError, match="NaN"):
        HistogramEqualization().fit(np.full((1, 2304), np.nan))
    with pytest.raises(ValueError, match="shape"):
        HistogramEqualization().fit(np.zeros((3, 48)))


def test_check_estimator():
    check_face_transformer(HistogramEqualization(image_shape=CHECK_IMAGE_SHAPE),
                           FACE_TRANSFORMER_FAILURES)


JITTER_IS_TRAINING_ONLY = "fit_transform changes faces on purpose and transform does not " \
    "(training-time augmentation, as TargetEncoder's fit_transform differs from transform)"


@pytest.mark.parametrize("p, expected", [
    (0.5, {"check_transformer_general": JITTER_IS_TRAINING_ONLY,
           "check_transformer_data_not_an_array": JITTER_IS_TRAINING_ONLY}),
    (0.0, FACE_TRANSFORMER_FAILURES),
])
def test_contrast_jitter_check_estimator(p, expected):
    check_face_transformer(ContrastJitter(p=p, random_state=0, image_shape=CHECK_IMAGE_SHAPE),
                           expected)


def test_contrast_jitter_changes_a_share_of_the_faces_when_fitted_only(faces):
    rows = faces.reshape(len(faces), -1)
    jitter = ContrastJitter(p=0.5, random_state=0)
    out = jitter.fit_transform(faces)
    assert out.shape == rows.shape and out.dtype == np.uint8
    changed = (out != rows).any(axis=1)
    assert 0 < changed.sum() < len(faces)
    # each changed face is an increasing map of its levels: the order of its pixels is kept
    for face, new in zip(rows[changed], out[changed]):
        order = np.argsort(face, kind="stable")
        assert (np.diff(new[order].astype(int)) >= 0).all()
    assert (jitter.transform(faces) == rows).all()  # predicting: unchanged
    assert (ContrastJitter(p=0.5, random_state=0).fit_transform(faces) == out).all()  # seeded
    assert (ContrastJitter(p=0.0).fit_transform(faces) == rows).all()
    assert (ContrastJitter(p=1.0, random_state=0).fit_transform(faces) != rows).any(axis=1).all()


def test_contrast_jitter_maps_float_faces_on_their_scale(faces):
    as_uint8 = ContrastJitter(p=1.0, random_state=0).fit_transform(faces)
    as_float = ContrastJitter(p=1.0, random_state=0).fit_transform(faces / np.float32(255))
    assert as_float.dtype == np.float32
    assert (np.rint(as_float * 255) == as_uint8).all()
    # integer faces of another dtype (0..255, as check_faces allows) get the uint8 maps
    as_int64 = ContrastJitter(p=1.0, random_state=0).fit_transform(faces.astype(np.int64))
    assert as_int64.dtype == np.int64 and (as_int64 == as_uint8).all()


def test_a_pipeline_jitters_when_fitting_and_predicts_on_the_faces_as_given(faces):
    from sklearn.linear_model import LogisticRegression

    y = np.arange(len(faces)) % 3
    pipe = make_pipeline(ContrastJitter(p=1.0, random_state=0), HistogramEqualization(), HOG(),
                         LogisticRegression(max_iter=200)).fit(faces, y)
    plain = make_pipeline(HistogramEqualization(), HOG(), LogisticRegression(max_iter=200))
    plain.fit(faces, y)
    assert not np.allclose(pipe[-1].coef_, plain[-1].coef_)  # fitted on other faces
    # predicting: the jitter passes the faces through, so the features are the plain ones
    assert (pipe[:-1].transform(faces) == plain[:-1].transform(faces)).all()
