"""What the face transformers share (features._face): image_shape, input and parameter checks."""

import pickle

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from fer_classic.features import HOG, LBP, HistogramEqualization, Pixels, hog_features
from fer_classic.features.lbp import lbp_codes, lbp_histograms, lbp_n_bins

TRANSFORMERS = {
    "Pixels": Pixels,
    "HOG": HOG,
    "LBP": LBP,
    "HistogramEqualization": HistogramEqualization,
}


def _faces(n, shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n,) + shape).astype(np.uint8)


@pytest.mark.parametrize("name", list(TRANSFORMERS))
def test_flat_rows_of_another_size(name):
    faces = _faces(3, (32, 40))
    est = TRANSFORMERS[name](image_shape=(32, 40)).fit(faces.reshape(3, -1))
    assert est.n_features_in_ == 32 * 40
    flat = est.transform(faces.reshape(3, -1))
    np.testing.assert_array_equal(flat, est.transform(faces))
    np.testing.assert_array_equal(flat, est.transform(faces / np.float32(255)))
    assert len(est.get_feature_names_out()) == flat.shape[1]


def test_features_of_another_size_match_the_functions():
    faces = _faces(4, (32, 40), seed=1)
    flat = faces.reshape(4, -1)
    np.testing.assert_array_equal(
        HOG(image_shape=(32, 40)).fit(flat).transform(flat), hog_features(faces)
    )
    hog = HOG(image_shape=(32, 40)).fit(flat)
    assert hog.output_shape_ == (3, 4, 2, 2, 9) and hog.n_features_out_ == 3 * 4 * 36
    lbp = LBP(grid_shape=(4, 5), image_shape=(32, 40)).fit(flat)
    expected = lbp_histograms(lbp_codes(faces), n_bins=lbp_n_bins(8, "uniform"),
                              grid_shape=(4, 5), normalize=True)
    np.testing.assert_array_equal(lbp.transform(flat), expected)
    pixels = Pixels(image_shape=(32, 40)).fit(flat)
    np.testing.assert_allclose(pixels.transform(flat), flat / 255.0, rtol=1e-6)
    assert pixels.get_feature_names_out()[-1] == "pixel_31_39"


@pytest.mark.parametrize("name", list(TRANSFORMERS))
def test_mismatched_sizes_name_the_expected_shape(name):
    est = TRANSFORMERS[name](image_shape=(32, 40))
    # flat rows of another length, in fit and in transform
    with pytest.raises(ValueError, match=r"X has 2304 features, but .*\(n, 32, 40\)"):
        est.fit(_faces(2, (48, 48)).reshape(2, -1))
    est.fit(_faces(2, (32, 40)))
    with pytest.raises(ValueError, match=rf"but {name} is expecting 1280 features.*32, 40"):
        est.transform(_faces(2, (48, 48)).reshape(2, -1))
    # a 3-D stack of another size
    with pytest.raises(ValueError, match=r"shape \(n, 32, 40\) or \(n, 1280\)"):
        est.transform(_faces(2, (40, 32)))
    with pytest.raises(ValueError, match=r"shape \(n, 48, 48\) or \(n, 2304\)"):
        TRANSFORMERS[name]().fit(_faces(2, (32, 40)))


@pytest.mark.parametrize("name", list(TRANSFORMERS))
@pytest.mark.parametrize("shape", [(48, 0), (48,), [48, 48], (48.0, 48), (True, 48), "48x48",
                                   (-1, -1), (0, -1), (-2, 48), (-1.0, 48)])
def test_bad_image_shape(name, shape):
    with pytest.raises(InvalidParameterError, match=f"'image_shape' parameter of {name}"):
        TRANSFORMERS[name](image_shape=shape).fit(_faces(1, (48, 48)))


@pytest.mark.parametrize("name", list(TRANSFORMERS))
@pytest.mark.parametrize("image_shape", [(16, -1), (-1, 24)])
def test_one_side_of_image_shape_from_the_faces(name, image_shape):
    faces = _faces(3, (16, 24))
    fixed = TRANSFORMERS[name](image_shape=(16, 24)).fit(faces)
    for X in (faces, faces.reshape(3, -1)):
        est = TRANSFORMERS[name](image_shape=image_shape).fit(X)
        assert est.image_shape_ == (16, 24) and est.n_features_in_ == 384
        assert est.get_params()["image_shape"] == image_shape  # the parameter is left as given
        np.testing.assert_array_equal(est.transform(faces.reshape(3, -1)), fixed.transform(faces))
        assert list(est.get_feature_names_out()) == list(fixed.get_feature_names_out())
    # once fitted, faces of that size only
    with pytest.raises(ValueError, match=rf"X has 320 features, but {name} is expecting 384 "):
        est.transform(_faces(3, (16, 20)).reshape(3, -1))
    with pytest.raises(ValueError, match=r"shape \(n, 16, 24\) or \(n, 384\)"):
        est.transform(_faces(3, (16, 20)))
    # the known side must fit
    known, side = (16, "rows") if image_shape[0] == 16 else (24, "columns")
    with pytest.raises(ValueError, match=rf"X has 30 features, which do not make faces of "
                                         rf"{known} {side}"):
        TRANSFORMERS[name](image_shape=image_shape).fit(_faces(3, (2, 15)).reshape(3, -1))
    with pytest.raises(ValueError, match=r"X must have shape \(n, (16, w|h, 24)\) or \(n, k "):
        TRANSFORMERS[name](image_shape=image_shape).fit(_faces(3, (20, 20)))


def test_faces_of_one_row_are_the_tables_of_any_width():
    table = _faces(5, (1, 7))[:, 0]
    hog = HOG(pixels_per_cell=1, cells_per_block=1, image_shape=(1, -1)).fit(table)
    assert hog.image_shape_ == (1, 7) and hog.output_shape_ == (1, 7, 1, 1, 9)
    np.testing.assert_array_equal(
        hog.transform(table), hog_features(table[:, None, :], pixels_per_cell=1, cells_per_block=1)
    )
    lbp = LBP(grid_shape=(1, 7), image_shape=(1, -1)).fit(table)
    assert lbp.n_features_out_ == 7 * lbp.n_bins_
    with pytest.raises(ValueError, match=r"grid_shape=\(2, 2\) has more cells than pixels"):
        LBP(grid_shape=2, image_shape=(1, -1)).fit(table)


@pytest.mark.parametrize("name", list(TRANSFORMERS))
def test_arrays_of_python_numbers_hold_those_numbers(name):
    faces = _faces(2, (48, 48)).reshape(2, -1)
    est = TRANSFORMERS[name]().fit(faces)
    ints = faces.astype(object)  # Python ints: 0..255 intensities
    np.testing.assert_array_equal(est.transform(ints), est.transform(faces))
    floats = (faces / 255.0).astype(object)  # Python floats: intensities in [0, 1]
    np.testing.assert_array_equal(est.transform(floats), est.transform(faces / 255.0))
    ints[0, 0] = {"foo": "bar"}
    with pytest.raises(TypeError, match="argument must be a string or a real number"):
        est.transform(ints)
    with pytest.raises(TypeError, match="must hold numbers"):
        est.transform(faces.astype(str))


@pytest.mark.parametrize("name", list(TRANSFORMERS))
def test_sparse_and_complex_input_are_refused_by_name(name):
    import scipy.sparse as sp

    est = TRANSFORMERS[name]()
    with pytest.raises(TypeError, match="Sparse input is not supported"):
        est.fit(sp.csr_matrix(np.ones((2, 2304))))
    with pytest.raises(ValueError, match="Complex data not supported"):
        est.fit(np.ones((2, 2304), dtype=complex))
    with pytest.raises(ValueError, match=r"0 feature\(s\)"):
        est.fit(np.ones((2, 0)))


@pytest.mark.parametrize("name", list(TRANSFORMERS))
def test_pandas_output(name):
    pytest.importorskip("pandas")
    faces = _faces(3, (48, 48))
    est = TRANSFORMERS[name]().set_output(transform="pandas")
    frame = est.fit_transform(faces.reshape(3, -1))
    assert list(frame.columns) == list(est.get_feature_names_out())
    np.testing.assert_array_equal(
        frame.to_numpy(), TRANSFORMERS[name]().fit_transform(faces.reshape(3, -1))
    )


@pytest.mark.parametrize(
    "est, match",
    [
        (Pixels(equalize="yes"), "'equalize' parameter of Pixels must be an instance of 'bool'"),
        (HOG(orientations=0), r"'orientations' parameter of HOG must be an int in the range"),
        (HOG(block_norm="L3"), "'block_norm' parameter of HOG must be a str among"),
        (HOG(pixels_per_cell=(8, 0)), "'pixels_per_cell' parameter of HOG must be a positive int"),
        (HOG(n_jobs=0), r"'n_jobs' parameter of HOG must be an int in the range \(-inf, -1\]"),
        (LBP(P=40), r"'P' parameter of LBP must be an int in the range \[1, 31\]"),
        (LBP(grid_shape=(6, 6, 6)), "'grid_shape' parameter of LBP must be a positive int or a"),
        (LBP(normalize=1), "'normalize' parameter of LBP must be an instance of 'bool'"),
    ],
)
def test_parameter_errors_name_the_parameter_and_the_allowed_values(est, match):
    with pytest.raises(InvalidParameterError, match=match):
        est.fit(_faces(1, (48, 48)))


def test_lbp_var_is_refused_with_a_pointer_and_not_advertised():
    with pytest.raises(ValueError, match=r"lbp_codes\(\.\.\., method='var'\)"):
        LBP(method="var").fit(_faces(1, (48, 48)))
    with pytest.raises(InvalidParameterError, match="method") as info:
        LBP(method="rotation").fit(_faces(1, (48, 48)))
    assert "var" not in str(info.value)


def test_pair_parameters_accept_an_int():
    faces = _faces(2, (48, 48))
    np.testing.assert_array_equal(HOG(pixels_per_cell=8, cells_per_block=2).fit_transform(faces),
                                  HOG().fit_transform(faces))
    np.testing.assert_array_equal(LBP(grid_shape=6).fit_transform(faces),
                                  LBP().fit_transform(faces))


def test_transformers_pickled_before_image_shape_read_48x48_faces():
    faces = _faces(2, (48, 48))
    est = HOG().fit(faces)
    state = est.__getstate__()
    del state["image_shape"], state["image_shape_"]
    old = HOG.__new__(HOG)
    old.__setstate__(state)
    assert old.get_params()["image_shape"] == (48, 48) and old.image_shape_ == (48, 48)
    np.testing.assert_array_equal(old.transform(faces), est.transform(faces))
    again = pickle.loads(pickle.dumps(old))
    np.testing.assert_array_equal(again.transform(faces), est.transform(faces))
