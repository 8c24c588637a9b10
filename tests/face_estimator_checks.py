"""The scikit-learn estimator checks that face transformers cannot pass, and why.

fer_classic's feature transformers take stacks of face images, (n, 48, 48)
or (n, 2304); scikit-learn's generic checks feed small (n, d) tables, which
input validation rejects by design. Shared by the feature test modules.

``IMAGE_ONLY_CHECKS`` and :func:`expected_failures` are for the transformers
with a fixed 48x48 face (DenseSIFT, BagOfVisualWords, FisherVector).
``FACE_TRANSFORMER_FAILURES`` is for those built on
``fer_classic.features._face.FaceTransformer`` (Pixels, HOG, LBP,
HistogramEqualization), checked with a tiny ``image_shape=(1, 3)`` so that
the checks' three-column tables are faces: what still fails is the checks
that use tables of other widths (a fixed ``image_shape`` reads one width
only) and those that feed floats outside [0, 1] (the intensity contract of
``check_faces``: uint8 in 0..255 or floats in [0, 1]); most do both.
"""

IMAGE_ONLY = "input must be face images (n, 48, 48) or (n, 2304), not a generic (n, d) table"

IMAGE_ONLY_CHECKS = [
    "check_complex_data",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_empty_data_messages",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
]


def expected_failures(extra=()):
    """``expected_failed_checks`` for a 48x48-only transformer: the image-only checks + ``extra``.

    ``extra`` is a dict of check name -> reason, or names that fail for the
    image-only reason.
    """
    out = {name: IMAGE_ONLY for name in IMAGE_ONLY_CHECKS}
    out.update(extra if isinstance(extra, dict) else {name: IMAGE_ONLY for name in extra})
    return out


#: The image_shape under which FACE_TRANSFORMER_FAILURES holds: the width of
#: most of scikit-learn's check tables.
CHECK_IMAGE_SHAPE = (1, 3)

_WIDTH_AND_RANGE = "fits tables of another width than image_shape's, with floats outside [0, 1]"
_RANGE = "feeds floats outside [0, 1], which faces may not hold (uint8 0..255 or floats in [0, 1])"

FACE_TRANSFORMER_FAILURES = {
    "check_dtype_object": "object arrays are refused as non-numeric (10 columns, floats above 1)",
    "check_estimators_dtypes": _WIDTH_AND_RANGE,
    "check_estimators_fit_returns_self": _WIDTH_AND_RANGE,
    "check_estimators_overwrite_params": _WIDTH_AND_RANGE,
    "check_fit_check_is_fitted": _WIDTH_AND_RANGE,
    "check_fit_idempotent": _WIDTH_AND_RANGE,
    "check_n_features_in": _WIDTH_AND_RANGE,
    "check_n_features_in_after_fitting": _WIDTH_AND_RANGE,
    "check_readonly_memmap_input": _WIDTH_AND_RANGE,
    "check_fit2d_1sample": "one row of 10 columns: the error is about the width, not '1 sample'",
    "check_positive_only_tag_during_fit": "negative floats must be accepted (or refused as "
                                          "'Negative values in data'); faces refuse them",
    "check_dict_unchanged": _RANGE,
    "check_dont_overwrite_parameters": _RANGE,
    "check_estimators_pickle": _RANGE,
    "check_f_contiguous_array_estimator": _RANGE,
    "check_fit2d_predict1d": _RANGE,
    "check_methods_sample_order_invariance": _RANGE,
    "check_methods_subset_invariance": _RANGE,
    "check_pipeline_consistency": _RANGE,
    "check_transformer_data_not_an_array": _RANGE,
    "check_transformer_general": _RANGE,
}
