"""Classifiers and kernels: a fast linear SVM, histogram kernels, local learning."""

from .kernels import (
    KernelSVC,
    additive_chi2_kernel,
    chi2_kernel,
    intersection_kernel,
    weighted_sum_kernel,
)
from .linear import LinearSVM
from .local import LocalLearningClassifier

__all__ = [
    "KernelSVC",
    "LinearSVM",
    "LocalLearningClassifier",
    "additive_chi2_kernel",
    "chi2_kernel",
    "intersection_kernel",
    "weighted_sum_kernel",
]
