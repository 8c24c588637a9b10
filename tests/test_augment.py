"""Training-set augmentation: mirror images and jittered copies keep shapes, dtypes and labels."""

import numpy as np
import pytest

from fer_classic.datasets import jitter_contrast, jitter_faces, make_synthetic_faces, mirror_faces


def _faces(n=6, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 48), dtype=np.uint8)


def test_mirror_faces_flattened_equals_images():
    X = _faces()
    np.testing.assert_array_equal(mirror_faces(X.reshape(len(X), -1)),
                                  mirror_faces(X).reshape(len(X), -1))
    np.testing.assert_array_equal(mirror_faces(mirror_faces(X)), X)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_jitter_keeps_shape_and_dtype(dtype):
    X = _faces().astype(dtype)
    for faces in (X, X.reshape(len(X), -1)):
        out = jitter_faces(faces, random_state=0)
        assert out.shape == faces.shape and out.dtype == faces.dtype
        assert not np.array_equal(out, faces)


def test_jitter_with_zero_amounts_is_the_identity():
    X = _faces()
    out = jitter_faces(X, max_shift=0, max_rotation=0, max_scale=0, random_state=3)
    np.testing.assert_array_equal(out, X)


def test_jitter_is_seeded_and_face_by_face():
    X = _faces(8)
    a = jitter_faces(X, random_state=7)
    np.testing.assert_array_equal(a, jitter_faces(X, random_state=7))
    assert not np.array_equal(a, jitter_faces(X, random_state=8))
    # face i's transform depends on i only: the first faces alone get the same warp
    np.testing.assert_array_equal(jitter_faces(X[:3], random_state=7), a[:3])


def test_jitter_shift_moves_a_dot_by_at_most_max_shift():
    X = np.zeros((20, 48, 48), np.float64)
    X[:, 20, 30] = 1.0
    out = jitter_faces(X, max_shift=3.0, max_rotation=0, max_scale=0, random_state=0)
    rows, cols = np.indices((48, 48))
    mass = out.sum(axis=(1, 2))
    dy = (out * rows).sum(axis=(1, 2)) / mass - 20
    dx = (out * cols).sum(axis=(1, 2)) / mass - 30
    assert np.all(np.abs(dx) <= 3 + 1e-9) and np.all(np.abs(dy) <= 3 + 1e-9)
    assert np.abs(dx).max() > 1 and np.abs(dy).max() > 1  # it does move
    np.testing.assert_allclose(mass, 1.0)  # bilinear shifts keep the mass inside the image


def test_jitter_keeps_labels_on_synthetic_faces():
    data = make_synthetic_faces(n_per_class=4, random_state=0)
    X, y = data.get_split("Training")
    out = jitter_faces(X, random_state=0)
    assert len(out) == len(y)
    # small warps: each jittered face stays closer to its own face than to most others
    d = ((out[:, None].astype(float) - X[None].astype(float)) ** 2).mean(axis=(2, 3))
    assert np.mean(np.argmin(d, axis=1) == np.arange(len(y))) > 0.9


@pytest.mark.parametrize("kwargs, match", [
    ({"max_shift": -1}, "max_shift must be a number >= 0"),
    ({"max_rotation": np.nan}, "max_rotation must be a number >= 0"),
    ({"max_scale": 1.0}, "max_scale must be below 1"),
    ({"max_scale": "0.1"}, "max_scale must be a number >= 0"),
])
def test_jitter_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        jitter_faces(_faces(2), **kwargs)


def test_jitter_bad_faces():
    expected = r"shape \(n, 48, 48\) or \(n, 2304\); got shape \(2, 5\)"
    with pytest.raises(ValueError, match=expected):
        jitter_faces(np.zeros((2, 5), np.uint8))
    with pytest.raises(ValueError, match="uint8, float32 or float64; got int64"):
        jitter_faces(np.zeros((2, 48, 48), np.int64))


def test_jitter_contrast_is_an_increasing_map_per_face():
    X = _faces(20)
    out = jitter_contrast(X, random_state=0)
    assert out.shape == X.shape and out.dtype == np.uint8
    for face, new in zip(X.reshape(20, -1), out.reshape(20, -1)):
        order = np.argsort(face, kind="stable")
        assert np.all(np.diff(new[order].astype(int)) >= 0)  # grey levels keep their order
    assert len({out[i].tobytes() for i in range(20)}) == 20
    np.testing.assert_array_equal(jitter_contrast(X.reshape(20, -1), random_state=0),
                                  out.reshape(20, -1))
    np.testing.assert_array_equal(jitter_contrast(X[:5], random_state=0), out[:5])


def test_jitter_contrast_identity_and_extremes():
    X = _faces(4)
    same = jitter_contrast(X, max_gamma=1, min_contrast=1, max_offset=0, random_state=1)
    np.testing.assert_array_equal(same, X)
    ramp = np.tile(np.arange(256, dtype=np.uint8), (50, 1))
    out = jitter_contrast(ramp, random_state=2).astype(int)
    # every map keeps within the drawn bounds: at most 40 levels of offset past a
    # gamma of 2 and a contrast of 0.5 about mid-grey
    assert out.min() >= 0 and out.max() <= 255
    spans = out.max(axis=1) - out.min(axis=1)
    assert spans.min() >= 127 - 40 and spans.max() <= 255


@pytest.mark.parametrize("kwargs, match", [
    ({"max_gamma": 0.5}, "max_gamma must be a number >= 1"),
    ({"min_contrast": 0}, r"min_contrast must be a number > 0\.0 and <= 1\.0"),
    ({"min_contrast": 1.5}, r"min_contrast must be a number > 0\.0 and <= 1\.0"),
    ({"max_offset": -3}, "max_offset must be a number >= 0"),
])
def test_jitter_contrast_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        jitter_contrast(_faces(2), **kwargs)


def test_jitter_contrast_wants_uint8_or_float_faces():
    with pytest.raises(ValueError, match="uint8 or float images .* got int64 of shape"):
        jitter_contrast(np.zeros((2, 48, 48), dtype=np.int64))
    with pytest.raises(ValueError, match="got float64 of shape \\(2, 2, 48, 48\\)"):
        jitter_contrast(np.zeros((2, 2, 48, 48)))


def test_jitter_contrast_maps_floats_as_the_uint8_faces_unrounded():
    faces = np.random.default_rng(1).integers(0, 256, (5, 48, 48)).astype(np.uint8)
    as_uint8 = jitter_contrast(faces, random_state=3)
    as_float = jitter_contrast(faces.astype(np.float32), random_state=3)
    assert as_float.dtype == np.float32 and (as_float >= 0).all() and (as_float <= 255).all()
    assert (np.rint(as_float) == as_uint8).all()
    assert not np.array_equal(as_float, np.rint(as_float))  # not rounded
