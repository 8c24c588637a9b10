"""HOG features: equal to scikit-image's ``hog`` face by face, fast transformer."""

import itertools

import numpy as np
import pytest
from skimage.feature import hog as sk_hog
from sklearn.exceptions import NotFittedError

from fer_classic.features import HOG, hog_features
from fer_classic.features.hog import hog_output_shape
from face_estimator_checks import (
    CHECK_IMAGE_SHAPE,
    FACE_TRANSFORMER_FAILURES,
    check_face_transformer,
)

# float32 rounding of the cell sums and the normalisation; bins match exactly.
ATOL = 1e-5


def _faces(kind, n, shape=(48, 48), seed=0):
    rng = np.random.default_rng(seed)
    if kind == "uint8":
        return rng.integers(0, 256, (n,) + shape).astype(np.uint8)
    if kind == "ties":  # few grey levels: many gradients at 0, 45, 90, 135 degrees
        return rng.integers(0, 3, (n,) + shape).astype(np.uint8)
    if kind == "float":
        return rng.random((n,) + shape).astype(np.float32)
    raise ValueError(kind)


def _reference(faces, **params):
    # float faces hold intensities in [0, 1]: HOG sees them times 255
    params = {"pixels_per_cell": (8, 8), "cells_per_block": (2, 2), **params}
    scale = np.float32(255 if np.issubdtype(np.asarray(faces).dtype, np.floating) else 1)
    return np.stack([sk_hog(f.astype(np.float32) * scale, feature_vector=True, **params)
                     for f in faces])


@pytest.mark.parametrize(
    "pixels_per_cell, cells_per_block, block_norm, transform_sqrt",
    [
        (ppc, cpb, norm, sq)
        for ppc, cpb, norm, sq in itertools.product(
            [(6, 6), (8, 8)],
            [(1, 1), (2, 2), (3, 3)],
            ["L1", "L1-sqrt", "L2", "L2-Hys"],
            [False, True],
        )
    ],
)
def test_matches_skimage(pixels_per_cell, cells_per_block, block_norm, transform_sqrt):
    params = dict(
        orientations=9,
        pixels_per_cell=pixels_per_cell,
        cells_per_block=cells_per_block,
        block_norm=block_norm,
        transform_sqrt=transform_sqrt,
    )
    for faces in (np.concatenate([_faces("uint8", 3), _faces("ties", 1)]), _faces("float", 2)):
        ours = hog_features(faces, **params)
        ref = _reference(faces, **params)
        assert ours.shape == ref.shape
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, ref, rtol=0, atol=ATOL)


@pytest.mark.parametrize("orientations", [1, 2, 4, 7, 8, 9, 12, 18])
def test_matches_skimage_orientations_and_ties(orientations):
    # Bin edges at 45 / 90 degrees (orientations a multiple of 4 or even) are
    # hit exactly by integer gradients: the float64 re-binning must agree.
    faces = np.concatenate([_faces("ties", 3, seed=1), _faces("uint8", 2, seed=2)])
    params = dict(orientations=orientations, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
    np.testing.assert_allclose(
        hog_features(faces, **params), _reference(faces, **params), rtol=0, atol=ATOL
    )


@pytest.mark.parametrize(
    "shape, pixels_per_cell, cells_per_block",
    [((48, 48), (7, 7), (2, 2)), ((48, 48), (5, 9), (3, 1)), ((30, 41), (8, 6), (2, 3))],
)
def test_matches_skimage_uneven_cells_and_sizes(shape, pixels_per_cell, cells_per_block):
    faces = np.concatenate([_faces("uint8", 2, shape), _faces("ties", 1, shape)])
    params = dict(pixels_per_cell=pixels_per_cell, cells_per_block=cells_per_block)
    ours = hog_features(faces, **params)
    np.testing.assert_allclose(ours, _reference(faces, **params), rtol=0, atol=ATOL)
    assert ours.shape[1] == np.prod(hog_output_shape(shape, **params))


def test_flat_and_pathological_faces():
    flat = np.full((1, 48, 48), 200, dtype=np.uint8)
    assert not hog_features(flat).any()  # no gradient, all blocks zero
    # A gradient pointing a hair below 0 degrees: scikit-image's angle
    # rounds to exactly 180, which is in no bin, so the pixel is dropped.
    face = np.random.default_rng(5).random((1, 48, 48)).astype(np.float32)
    face[0, 9, 19], face[0, 9, 21] = 0.0, 1.0  # pixel (9, 20): g_col = 1
    face[0, 8, 20], face[0, 10, 20] = 1e-30, 0.0  # and g_row = -1e-30
    ref = _reference(face)
    np.testing.assert_allclose(hog_features(face), ref, rtol=0, atol=ATOL)
    face[0, 8, 20] = 0  # now the pixel is at exactly 0 degrees and counts
    assert np.abs(_reference(face) - ref).max() > 0.01


def test_flat_rows_and_dtypes_agree():
    faces = _faces("uint8", 4)
    ours = hog_features(faces)
    np.testing.assert_array_equal(hog_features(faces.reshape(4, -1)), ours)
    np.testing.assert_allclose(hog_features(faces / 255.0), ours, atol=1e-6)
    np.testing.assert_allclose(hog_features(faces.tolist()), ours, atol=1e-6)
    assert ours.shape == (4, 900)
    assert hog_output_shape() == (5, 5, 2, 2, 9)


def test_compiled_scatter_add_equals_numpy_add_at(monkeypatch):
    # the Numba loop must add the same votes in the same order: bit-identical
    import fer_classic.features.hog as hog_module

    faces = _faces("uint8", 70)
    monkeypatch.setattr(hog_module, "have_numba", lambda: False)
    ref = hog_features(faces)
    monkeypatch.undo()
    if not hog_module.have_numba():
        pytest.skip("numba is not installed")
    np.testing.assert_array_equal(hog_features(faces), ref)


def test_output_independent_of_batching():
    faces = _faces("uint8", 150, seed=3)
    whole = hog_features(faces)
    np.testing.assert_array_equal(whole[100:], hog_features(faces[100:]))
    np.testing.assert_array_equal(whole[7:8], hog_features(faces[7:8]))


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(block_norm="L3"), "block_norm"),
        (dict(orientations=0), "orientations"),
        (dict(orientations=2.5), "orientations"),
        (dict(pixels_per_cell=(0, 8)), "pixels_per_cell"),
        (dict(pixels_per_cell=(8, 8, 8)), "pixels_per_cell"),
        (dict(cells_per_block="2"), "cells_per_block"),
        (dict(pixels_per_cell=(16, 16), cells_per_block=(4, 4)), "too small"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        hog_features(_faces("uint8", 1), **params)
    with pytest.raises(ValueError, match=match):
        HOG(**params).fit(_faces("uint8", 1))


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        hog_features(np.zeros((2, 100)))
    with pytest.raises(ValueError, match="NaN"):
        hog_features(np.full((1, 48, 48), np.nan))
    with pytest.raises(TypeError, match="numbers"):
        hog_features(np.full((1, 48, 48), "a"))
    with pytest.raises(ValueError, match="transform_sqrt=True"):
        hog_features(-np.ones((1, 48, 48)), transform_sqrt=True)
    with pytest.raises(ValueError, match=r"0\.\.255"):  # integers are 8-bit intensities
        hog_features(np.full((1, 48, 48), 300))


def test_transformer():
    faces = _faces("uint8", 40, seed=4)
    est = HOG(orientations=8, cells_per_block=(3, 3), block_norm="L1")
    assert est.fit(faces) is est
    assert est.n_features_in_ == 2304
    assert est.n_features_out_ == 4 * 4 * 3 * 3 * 8
    out = est.transform(faces)
    expected = hog_features(faces, orientations=8, cells_per_block=(3, 3), block_norm="L1")
    np.testing.assert_array_equal(out, expected)
    threaded = HOG(orientations=8, cells_per_block=(3, 3), block_norm="L1", n_jobs=2)
    np.testing.assert_array_equal(threaded.fit(faces).transform(faces.reshape(40, -1)), expected)
    names = est.get_feature_names_out()
    assert len(names) == out.shape[1] and names[0] == "hog_b0_0_c0_0_o0"
    with pytest.raises(NotFittedError):
        HOG().transform(faces)


def test_check_estimator():
    check_face_transformer(
        HOG(pixels_per_cell=1, cells_per_block=1, image_shape=CHECK_IMAGE_SHAPE),
        FACE_TRANSFORMER_FAILURES,
    )


def test_map_chunks():
    from fer_classic.utils.parallel import map_chunks

    rows = np.arange(23 * 3, dtype=float).reshape(23, 3)
    expected = rows.sum(axis=1, keepdims=True)
    for n_jobs in (None, 1, 2):
        out = map_chunks(lambda a: a.sum(axis=1, keepdims=True), rows, chunk_size=5, n_jobs=n_jobs)
        np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="expected 5 rows"):
        map_chunks(lambda a: a[:1], rows, chunk_size=5)
    with pytest.raises(ValueError, match="chunk_size"):
        map_chunks(np.asarray, rows, chunk_size=0)
    with pytest.raises(ValueError, match="empty"):
        map_chunks(np.asarray, rows[:0])


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_map_chunks_progress_bar_only_when_asked(capsys, n_jobs):
    from fer_classic.utils.parallel import map_chunks
    from fer_classic.utils.progress import show_progress

    rows = np.ones((23, 3))
    map_chunks(np.asarray, rows, chunk_size=5, n_jobs=n_jobs, desc="things")
    assert "things" not in capsys.readouterr().err  # estimators are quiet by default
    with show_progress():
        out = map_chunks(np.asarray, rows, chunk_size=5, n_jobs=n_jobs, desc="things")
    np.testing.assert_array_equal(out, rows)
    err = capsys.readouterr().err
    assert "things" in err and "/23" in err


def test_transformer_flag_validation():
    faces = _faces("uint8", 1)
    with pytest.raises(ValueError, match="transform_sqrt"):
        HOG(transform_sqrt="no").fit(faces)
    with pytest.raises(ValueError, match="n_jobs"):
        HOG(n_jobs=0).fit(faces)
    with pytest.raises(ValueError, match="n_jobs"):
        HOG(n_jobs=1.5).fit(faces)
