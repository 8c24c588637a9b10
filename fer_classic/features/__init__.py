"""Feature extractors: scikit-learn transformers over stacks of 48x48 faces.

Each module holds one family: ``pixels`` (raw intensities), ``hog``
(histograms of oriented gradients), ``lbp`` (local binary pattern
histograms), ``sift`` (dense SIFT descriptors) and ``bovw`` (bag of visual
words: codebook, spatial pyramid, encodings).
"""
