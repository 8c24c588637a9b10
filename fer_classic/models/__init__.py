"""Classifiers and kernels: local learning and histogram kernels for SVMs."""
