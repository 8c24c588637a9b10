"""FER2013 readers (CSV and image folders, cached), FER+ labels, synthetic faces, augmentation."""

from .augment import jitter_contrast, jitter_faces, mirror_faces
from .cache import get_cache_dir
from .fer2013 import FER2013, FER2013FormatError, load_fer2013, write_fer2013_csv
from .ferplus import (FERPLUS_CLASSES, ferplus_distribution, ferplus_majority, read_ferplus,
                      with_ferplus_labels)
from .synthetic import make_synthetic_faces

__all__ = [
    "FER2013",
    "FER2013FormatError",
    "FERPLUS_CLASSES",
    "ferplus_distribution",
    "ferplus_majority",
    "get_cache_dir",
    "load_fer2013",
    "make_synthetic_faces",
    "jitter_contrast",
    "jitter_faces",
    "mirror_faces",
    "read_ferplus",
    "with_ferplus_labels",
    "write_fer2013_csv",
]
