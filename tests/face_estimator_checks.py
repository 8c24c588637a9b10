"""The scikit-learn estimator checks that face transformers cannot pass, and why.

fer_classic's feature transformers take stacks of face images, (n, 48, 48)
or (n, 2304); scikit-learn's generic checks feed small (n, d) tables, which
input validation rejects by design. Shared by the feature test modules.
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

#: check_faces refuses sparse input as non-numeric, with a message that does
#: not say "sparse" (DenseSIFT and BagOfVisualWords name it and pass these).
SPARSE_CHECKS = {
    name: "sparse input is refused by check_faces as non-numeric, with a message "
          "that does not say 'sparse'"
    for name in ["check_estimator_sparse_array", "check_estimator_sparse_matrix",
                 "check_estimator_sparse_tag"]
}


def expected_failures(extra=()):
    """``expected_failed_checks`` for a face transformer: the image-only checks plus ``extra``.

    ``extra`` is a dict of check name -> reason, or names that fail for the
    image-only reason.
    """
    out = {name: IMAGE_ONLY for name in IMAGE_ONLY_CHECKS}
    out.update(extra if isinstance(extra, dict) else {name: IMAGE_ONLY for name in extra})
    return out
