"""fer_classic: classical computer-vision baselines for FER2013.

Hand-crafted features (raw pixels, HOG, LBP, dense SIFT bag of visual words)
as scikit-learn transformers, classifiers (linear and kernel SVMs, random
forests, local learning), and the 2013 challenge protocol
(Training / PublicTest / PrivateTest) in one small library.
"""

__version__ = "0.1.0"

#: The seven FER2013 expression labels, indexed by their challenge id.
EMOTIONS = ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral")

#: The three official challenge splits, in their canonical order.
SPLITS = ("Training", "PublicTest", "PrivateTest")

#: Side length of a FER2013 face in pixels.
FACE_SIZE = 48

__all__ = ["EMOTIONS", "SPLITS", "FACE_SIZE", "__version__"]
