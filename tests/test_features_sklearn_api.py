"""scikit-learn's API on every face transformer: parameter validation, feature names, pandas."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import InvalidParameterError

from fer_classic.features import (
    HOG,
    LBP,
    BagOfVisualWords,
    ContrastJitter,
    DenseSIFT,
    FisherVector,
    HistogramEqualization,
    Pixels,
)


def _faces(n=4, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 48)).astype(np.uint8)


TRANSFORMERS = {
    "Pixels": lambda: Pixels(),
    "HOG": lambda: HOG(),
    "LBP": lambda: LBP(),
    "HistogramEqualization": lambda: HistogramEqualization(),
    "ContrastJitter": lambda: ContrastJitter(random_state=0),
    "DenseSIFT": lambda: DenseSIFT(step=8),
    "DenseSIFT-multiscale": lambda: DenseSIFT(step=8, bin_size=(4, 6), n_bins_spatial=2,
                                              n_orientations=4),
    "BagOfVisualWords": lambda: BagOfVisualWords(DenseSIFT(step=8), n_words=4, n_samples=200,
                                                 n_init=1, pyramid_levels=(1, 2, 3)),
    "FisherVector": lambda: FisherVector(DenseSIFT(step=8), n_components=2, pca_components=4,
                                         n_samples=200),
    "FisherVector-no-positions": lambda: FisherVector(DenseSIFT(step=8), n_components=2,
                                                      pca_components=4, n_samples=200,
                                                      spatial_weight=0.0),
}


@pytest.mark.parametrize("name", list(TRANSFORMERS))
def test_every_transformer_has_parameter_constraints(name):
    est = TRANSFORMERS[name]()
    assert set(est._parameter_constraints) == set(est.get_params(deep=False))
    # scikit-learn's own validation, not an override with another meaning
    assert type(est)._validate_params is BaseEstimator._validate_params


@pytest.mark.parametrize("name", list(TRANSFORMERS))
def test_pandas_output_for_every_transformer(name):
    pd = pytest.importorskip("pandas")
    faces = _faces()
    est = TRANSFORMERS[name]().set_output(transform="pandas")
    frame = est.fit_transform(faces)
    assert isinstance(frame, pd.DataFrame)
    names = est.get_feature_names_out()
    assert list(frame.columns) == list(names) and len(set(names)) == len(names)
    np.testing.assert_array_equal(frame.to_numpy(), TRANSFORMERS[name]().fit_transform(faces))
    assert list(est.transform(faces[:2]).columns) == list(names)


def test_feature_names_follow_the_layout():
    faces = _faces(2)
    sift = DenseSIFT(step=8).fit(faces)
    names = sift.get_feature_names_out()
    assert len(names) == sift.n_keypoints_ * 128
    # keypoint, then spatial bin (row, col), then orientation: OpenCV's layout
    assert list(names[:2]) == ["sift_k0_b0_0_o0", "sift_k0_b0_0_o1"]
    assert names[128 + 8 * 5 + 3] == "sift_k1_b1_1_o3"
    fv = TRANSFORMERS["FisherVector"]().fit(faces)
    names = fv.get_feature_names_out()
    assert len(names) == 2 * 2 * (4 + 2)
    assert list(names[:7]) == ["fv_mu_g0_pca0", "fv_mu_g0_pca1", "fv_mu_g0_pca2",
                               "fv_mu_g0_pca3", "fv_mu_g0_row", "fv_mu_g0_col", "fv_mu_g1_pca0"]
    assert names[12] == "fv_sigma_g0_pca0"


@pytest.mark.parametrize("est, match", [
    (DenseSIFT(step=0), r"'step' parameter of DenseSIFT must be an int in the range \[1, inf\)"),
    (DenseSIFT(n_orientations=1), r"'n_orientations' parameter of DenseSIFT must be an int in "
                                  r"the range \[2, inf\)"),
    (DenseSIFT(smoothing="none"), "'smoothing' parameter of DenseSIFT must be a str among"),
    (DenseSIFT(smoothing=np.inf), "'smoothing' parameter of DenseSIFT must be"),
    (DenseSIFT(window_sigma=0), "'window_sigma' parameter of DenseSIFT must be a float in the "
                                r"range \(0.0, inf\) or None"),
    (DenseSIFT(dtype="float64"), "'dtype' parameter of DenseSIFT must be a str among"),
    (DenseSIFT(backend="cuda"), "'backend' parameter of DenseSIFT must be a str among"),
    (DenseSIFT(n_jobs=0), "'n_jobs' parameter of DenseSIFT"),
    (BagOfVisualWords(n_words=0), "'n_words' parameter of BagOfVisualWords must be an int"),
    (BagOfVisualWords(encoding="tfidf"), "'encoding' parameter of BagOfVisualWords must be a "
                                         "str among"),
    (BagOfVisualWords(normalize="max"), "'normalize' parameter of BagOfVisualWords"),
    (BagOfVisualWords(sparse_output="yes"), "'sparse_output' parameter of BagOfVisualWords "
                                            "must be an instance of 'bool'"),
    (BagOfVisualWords(extractor="sift"), "'extractor' parameter of BagOfVisualWords must be an "
                                         "object implementing 'fit' and 'transform_descriptors'"),
    (FisherVector(hellinger="yes"), "'hellinger' parameter of FisherVector must be an instance"),
    (FisherVector(posterior_threshold=1.0), r"'posterior_threshold' parameter of FisherVector "
                                            r"must be a float in the range \[0.0, 1.0\)"),
    (FisherVector(dtype="float64"), "'dtype' parameter of FisherVector must be a str among"),
])
def test_parameter_errors_name_the_parameter_and_the_allowed_values(est, match):
    with pytest.raises(InvalidParameterError, match=match):
        est.fit(_faces(1))


@pytest.mark.parametrize("est, match", [
    (DenseSIFT(bin_size=()), "bin_size must be a positive int or a non-empty sequence"),
    (DenseSIFT(bin_size=(4, 0)), "bin_size must be an integer >= 1; got 0"),
    (BagOfVisualWords(n_words=4, n_coarse_words=8), "n_coarse_words must not exceed n_words=4"),
    (BagOfVisualWords(pyramid_levels=(1, 1)), "must not repeat a grid size"),
    (BagOfVisualWords(pyramid_levels=(1, 2), level_weights=(1,)), "one finite non-negative "
                                                                  "weight per pyramid level"),
])
def test_checks_the_constraints_cannot_express(est, match):
    with pytest.raises(ValueError, match=match):
        est.fit(_faces(1))


def test_dense_sift_accepts_numpy_spellings_of_its_dtypes():
    faces = _faces(2)
    ref = DenseSIFT(step=8, dtype="uint8").fit_transform(faces)
    for dtype in (np.uint8, np.dtype(np.uint8)):
        np.testing.assert_array_equal(DenseSIFT(step=8, dtype=dtype).fit_transform(faces), ref)


def test_fisher_transform_checks_parameters_set_after_fit():
    faces = _faces(2)
    fv = TRANSFORMERS["FisherVector"]().fit(faces)
    fv.set_params(dtype="float64")
    with pytest.raises(InvalidParameterError, match="'dtype' parameter of FisherVector"):
        fv.transform(faces)
