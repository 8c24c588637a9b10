"""Classifiers and kernels: a fast linear SVM, histogram kernels, local learning (per sample,
or fitted in advance per cluster), mirroring, and an on-disk cache of fitted classifiers."""

from .cached import CachedClassifier
from .clustered import ClusteredLocalClassifier
from .kernels import (
    KernelSVC,
    additive_chi2_kernel,
    chi2_kernel,
    intersection_kernel,
    weighted_sum_kernel,
)
from .dual_svm import DualLinearSVM
from .linear import LinearSVM
from .local import LocalLearningClassifier
from .mirror import MirrorClassifier, mirror_averaged_scores, predict_mirror_averaged

__all__ = [
    "CachedClassifier",
    "ClusteredLocalClassifier",
    "DualLinearSVM",
    "KernelSVC",
    "LinearSVM",
    "LocalLearningClassifier",
    "MirrorClassifier",
    "additive_chi2_kernel",
    "chi2_kernel",
    "intersection_kernel",
    "mirror_averaged_scores",
    "predict_mirror_averaged",
    "weighted_sum_kernel",
]
