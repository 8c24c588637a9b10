"""Feature extractors: scikit-learn transformers over stacks of 48x48 faces.

Each module holds one family: ``contrast`` (per-face histogram
equalisation, the first step of every registry pipeline), ``pixels`` (raw
intensities), ``hog`` (histograms of oriented gradients), ``lbp`` (local
binary pattern histograms), ``sift`` (dense SIFT descriptors), ``bovw`` (bag
of visual words: codebook, spatial pyramid, encodings), ``fisher`` (Fisher
vectors of dense descriptors) and ``sampled_pca`` (compact PCA codes of such
long vectors).
"""

from .bovw import BagOfVisualWords
from .contrast import ContrastJitter, HistogramEqualization, equalize_faces
from .fisher import FisherVector, fisher_vector
from .hog import HOG, hog_features
from .lbp import LBP, lbp_codes, lbp_histograms
from .pixels import Pixels
from .sampled_pca import SampledPCA
from .sift import DenseSIFT, dense_sift

__all__ = [
    "BagOfVisualWords",
    "ContrastJitter",
    "DenseSIFT",
    "FisherVector",
    "HOG",
    "HistogramEqualization",
    "LBP",
    "Pixels",
    "SampledPCA",
    "dense_sift",
    "equalize_faces",
    "fisher_vector",
    "hog_features",
    "lbp_codes",
    "lbp_histograms",
]
