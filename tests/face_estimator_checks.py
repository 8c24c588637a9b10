"""The scikit-learn estimator checks that face transformers cannot pass, and why.

fer_classic's feature transformers take stacks of face images, (n, 48, 48)
or (n, 2304); scikit-learn's generic checks feed small (n, d) tables. Shared
by the feature test modules.

``IMAGE_ONLY_CHECKS`` and :func:`expected_failures` are for the transformers
that read flat rows as 48x48 faces (DenseSIFT, BagOfVisualWords,
FisherVector): every check that fits a small table fails at input
validation, by design (a face must be big enough for one descriptor); they
refuse complex data, empty rows and rows of one feature with scikit-learn's
wording, and declare no preserved dtype (float32 output whatever the
input), so those checks pass. ``FACE_TRANSFORMER_FAILURES`` is for those built on
``fer_classic.features._face.FaceTransformer`` (Pixels, HOG, LBP,
HistogramEqualization), checked with ``image_shape=(1, -1)``: rows of any
width are faces of one row, so every table of the checks is a stack of
faces, and as floats of any finite value are read by one rule (times 255,
kept on their scale), the checks' floats outside [0, 1] are faces too. They
pass every check.
"""

IMAGE_ONLY = "input must be face images (n, 48, 48) or (n, 2304), not a generic (n, d) table"

IMAGE_ONLY_CHECKS = [
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
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
]


def expected_failures(extra=()):
    """``expected_failed_checks`` for a 48x48-only transformer: the image-only checks + ``extra``.

    ``extra`` is a dict of check name -> reason, or names that fail for the
    image-only reason.
    """
    out = {name: IMAGE_ONLY for name in IMAGE_ONLY_CHECKS}
    out.update(extra if isinstance(extra, dict) else {name: IMAGE_ONLY for name in extra})
    return out


#: The image_shape under which FACE_TRANSFORMER_FAILURES holds: faces of one
#: row, as wide as the table fit is given.
CHECK_IMAGE_SHAPE = (1, -1)

#: What the FaceTransformer subclasses fail under CHECK_IMAGE_SHAPE: nothing.
FACE_TRANSFORMER_FAILURES = {}


def check_face_transformer(estimator, expected_failed_checks):
    """``check_estimator`` that fails on a new failure and on a waiver no longer needed.

    Every check named in ``expected_failed_checks`` must fail, and no other,
    so that the lists above stay exact.
    """
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, expected_failed_checks=expected_failed_checks,
                                  on_fail=None)
    failed = {r["check_name"] for r in results if r["status"] in ("failed", "xfail")}
    unexpected = {r["check_name"]: r["exception"] for r in results if r["status"] == "failed"}
    assert not unexpected, f"checks failing without a waiver: {unexpected}"
    stale = set(expected_failed_checks) - failed
    assert not stale, f"waived checks that pass now: {sorted(stale)}"
