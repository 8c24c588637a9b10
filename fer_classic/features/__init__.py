"""Feature extractors: scikit-learn transformers over stacks of 48x48 faces.

Each module holds one family: ``pixels`` (raw intensities), ``hog``
(histograms of oriented gradients), ``lbp`` (local binary pattern
histograms), ``sift`` (dense SIFT descriptors) and ``bovw`` (bag of visual
words: codebook, spatial pyramid, encodings).
"""

from .pixels import Pixels
from .hog import HOG, hog_features
from .lbp import LBP, lbp_codes, lbp_histograms

__all__ = ["Pixels", "HOG", "hog_features", "LBP", "lbp_codes", "lbp_histograms"]

from .sift import DenseSIFT, dense_sift  # noqa: E402
from .bovw import BagOfVisualWords  # noqa: E402

__all__ += ["DenseSIFT", "dense_sift", "BagOfVisualWords"]
