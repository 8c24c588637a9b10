"""FER2013 itself: the :class:`FER2013` container, its loader :func:`load_fer2013` and errors.

Two layouts of the same 35,887 faces are in circulation:

* the original challenge CSV, ``fer2013.csv`` (header ``emotion,pixels,Usage``),
  and its later re-release ``icml_face_data.csv`` (header
  ``emotion, Usage, pixels``): one face per row, pixels as 2304 space-separated
  integers;
* an image-folder layout, ``train/<emotion>/Training_<id>.jpg`` and
  ``test/<emotion>/{PublicTest,PrivateTest}_<id>.jpg``.

:func:`load_fer2013` finds which one a path holds, reads it (the readers are
:mod:`._csv` and :mod:`._folder`) into a :class:`FER2013` container and
caches the decoded arrays (:mod:`.cache`) under
:func:`~fer_classic.datasets.get_cache_dir`. :func:`write_fer2013_csv` is
re-exported from :mod:`._csv`.
"""

import hashlib
import os
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import EMOTIONS, SPLITS
from ..utils.validation import check_faces
from ._csv import read_csv, write_fer2013_csv
from ._errors import FER2013FormatError
from ._folder import EMOTION_INDEX, FOLDER_SPLITS, find_child, list_folder, read_folder
from .cache import cache_files, read_cache, source_stamp, write_cache

__all__ = ["FER2013", "FER2013FormatError", "load_fer2013", "write_fer2013_csv"]

_CSV_NAMES = ("fer2013.csv", "icml_face_data.csv", "fer2013.csv.gz", "icml_face_data.csv.gz")

_HOW_TO_GET = (
    "FER2013 is distributed by Kaggle: the original 'Challenges in Representation "
    "Learning: Facial Expression Recognition Challenge' (fer2013.csv or "
    "icml_face_data.csv) or the image-folder release 'FER-2013' (train/ and test/ "
    "folders of 48x48 JPEGs). Download one of them and give its location: "
    "`python -m fer_classic.bench --data PATH` on the command line, "
    "load_fer2013(PATH) in Python, or the FER2013_PATH environment variable."
)


@dataclass(eq=False, repr=False)
class FER2013:
    """FER2013 faces with their labels and challenge splits.

    Returned by :func:`load_fer2013` and
    :func:`~fer_classic.datasets.make_synthetic_faces`. Arrays are validated
    and converted on construction.

    Parameters
    ----------
    images : ndarray of shape (n, 48, 48), dtype uint8
        Grayscale faces (flattened ``(n, 2304)`` rows are reshaped).
    target : ndarray of shape (n,), dtype int64
        Labels 0..6, indexing :data:`fer_classic.EMOTIONS`
        (0=Angry 1=Disgust 2=Fear 3=Happy 4=Sad 5=Surprise 6=Neutral).
    split : ndarray of shape (n,), dtype str
        ``'Training'``, ``'PublicTest'`` or ``'PrivateTest'`` per face.
    ids : ndarray of shape (n,), dtype str, default=None
        Where each face came from. Image folders: the file path relative to
        the data root with ``/`` separators, e.g.
        ``'train/angry/Training_10118481.jpg'``. CSV files: ``'row N'`` where
        ``N`` is the 1-based line number in the file, the header being line
        1 (so the first face is ``'row 2'``), as a text editor shows it.
        Synthetic faces: ``'synthetic/<split>/<Emotion>/<k>'``. ``None``
        numbers the faces ``'0'``, ``'1'``, ...
    source : {'csv', 'folder', 'synthetic'}, default='csv'
        Kind of data the faces were read from.
    path : str or None, default=None
        File or directory the faces were read from.
    target_names : tuple of str, default=fer_classic.EMOTIONS
        The name of each label: ``target`` holds ``0 .. len(target_names) - 1``.
        Other label sets than FER2013's seven emotions (the eight FER+
        classes, :func:`~fer_classic.datasets.with_ferplus_labels`) name
        theirs here.

    Examples
    --------
    >>> from fer_classic.datasets import make_synthetic_faces
    >>> data = make_synthetic_faces(n_per_class=10)
    >>> X, y = data.get_split("Training")
    >>> X.shape, y.shape
    ((56, 48, 48), (56,))
    >>> data.counts().loc["Happy"].tolist()
    [8, 1, 1]
    """

    images: np.ndarray
    target: np.ndarray
    split: np.ndarray
    ids: np.ndarray = None
    source: str = "csv"
    path: str = None
    target_names: tuple = EMOTIONS
    _fingerprint: str = field(default=None, init=False, repr=False)

    def __post_init__(self):
        images = check_faces(self.images, dtype=None, name="images")
        if images.dtype != np.uint8:
            if not np.issubdtype(images.dtype, np.integer) or (
                images.min() < 0 or images.max() > 255
            ):
                raise ValueError(
                    "images must hold 8-bit grayscale values (uint8, 0..255); "
                    f"got dtype {images.dtype}."
                )
            images = images.astype(np.uint8)
        n = len(images)
        self.images = np.ascontiguousarray(images)

        self.target_names = tuple(str(t) for t in self.target_names)
        k = len(self.target_names)
        if k < 2:
            raise ValueError(
                f"target_names must name at least 2 classes; got {self.target_names}.")
        labels_text = ", ".join(f"{i}={t}" for i, t in enumerate(self.target_names))
        target = np.asarray(self.target)
        if target.shape != (n,):
            raise ValueError(f"target must have shape ({n},) to match images; got {target.shape}.")
        if not np.issubdtype(target.dtype, np.integer):
            if not np.issubdtype(target.dtype, np.number) or np.any(target != np.round(target)):
                raise ValueError(
                    f"target must hold integer labels 0..{k - 1}; got dtype {target.dtype}."
                )
        if n and (target.min() < 0 or target.max() > k - 1):
            bad = target[(target < 0) | (target > k - 1)][0]
            raise ValueError(f"target labels must be in 0..{k - 1} ({labels_text}); got {bad}.")
        self.target = target.astype(np.int64)

        split = np.asarray(self.split).astype(str)
        if split.shape != (n,):
            raise ValueError(f"split must have shape ({n},) to match images; got {split.shape}.")
        unknown = np.setdiff1d(np.unique(split), SPLITS)
        if unknown.size:
            raise ValueError(
                f"split holds unknown split name(s) {unknown.tolist()}; expected {list(SPLITS)}."
            )
        self.split = split

        if self.ids is None:
            ids = np.arange(n).astype(str)
        else:
            ids = np.asarray(self.ids).astype(str)
            if ids.shape != (n,):
                raise ValueError(f"ids must have shape ({n},) to match images; got {ids.shape}.")
        self.ids = ids
        self.source = str(self.source)
        self.path = None if self.path is None else os.fspath(self.path)

    def __len__(self):
        return len(self.images)

    @property
    def is_synthetic(self):
        """True when the faces are generated, not FER2013 photographs."""
        return self.source == "synthetic"

    def get_split(self, name):
        """Return the faces and labels of one challenge split.

        Parameters
        ----------
        name : {'Training', 'PublicTest', 'PrivateTest'}
            Split to return.

        Returns
        -------
        images : ndarray of shape (m, 48, 48), dtype uint8
        target : ndarray of shape (m,), dtype int64

        Raises
        ------
        ValueError
            If ``name`` is not a split name, or the split holds no faces.
        """
        if not isinstance(name, str) or name not in SPLITS:
            raise ValueError(f"Unknown split {name!r}; valid names are {list(SPLITS)}.")
        mask = self.split == name
        if not mask.any():
            raise ValueError(f"Split {name!r} holds no faces in {self!r}.")
        return self.images[mask], self.target[mask]

    def counts(self):
        """Per-class face counts in each split.

        Returns
        -------
        counts : pandas.DataFrame of shape (n_classes, 3)
            Rows indexed by class name (``target_names`` order), columns by
            split name (``SPLITS`` order), integer counts.
        """
        import pandas as pd  # imported here: only this method needs it

        k = len(self.target_names)
        table = np.zeros((k, len(SPLITS)), dtype=np.int64)
        for j, name in enumerate(SPLITS):
            table[:, j] = np.bincount(self.target[self.split == name], minlength=k)
        return pd.DataFrame(
            table,
            index=pd.Index(self.target_names, name="emotion"),
            columns=pd.Index(SPLITS, name="split"),
        )

    def fingerprint(self):
        """Hex digest identifying the content (images, target and split).

        Computed once and memoised; two containers with the same faces,
        labels and splits in the same order share a fingerprint whatever
        their source, path or ids. Do not modify the arrays in place after
        calling it.

        Returns
        -------
        fingerprint : str
            40 hex digits (blake2b, 160 bits).
        """
        if self._fingerprint is None:
            h = hashlib.blake2b(digest_size=20)
            h.update(f"fer2013-content-v1 {self.images.shape}".encode())
            if self.target_names != EMOTIONS:  # FER2013's own fingerprints stay as they were
                h.update(("classes " + ",".join(self.target_names)).encode())
            h.update(np.ascontiguousarray(self.images).tobytes())
            h.update(self.target.astype("<i8").tobytes())
            h.update("\n".join(self.split.tolist()).encode())
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    def __repr__(self):
        per_split = ", ".join(f"{s}={int(np.sum(self.split == s))}" for s in SPLITS)
        head = "SYNTHETIC faces, NOT FER2013 data; " if self.is_synthetic else ""
        path = "" if self.path is None else f", path={self.path!r}"
        return f"FER2013({head}source={self.source!r}, n={len(self)} [{per_split}]{path})"


# --------------------------------------------------------------------------
# locating the data
# --------------------------------------------------------------------------


def _layout_in(directory):
    """``(kind, path)`` of the FER2013 data directly inside ``directory``, or None.

    A CSV file (``fer2013.csv``, ``icml_face_data.csv``, optionally gzipped)
    is preferred over ``train/`` and ``test/`` image folders.
    """
    for name in _CSV_NAMES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return "csv", candidate
    for name in FOLDER_SPLITS:
        child = find_child(directory, name)
        if child is not None and os.path.isdir(child):
            return "folder", directory
    return None


def _resolve_path(path):
    """Return ``(kind, path)`` with kind 'csv' (a file) or 'folder' (a root)."""
    if path is None:
        path = os.environ.get("FER2013_PATH") or None
        if path is None:
            raise FileNotFoundError(
                "No FER2013 location given: pass load_fer2013(path) or set the "
                f"FER2013_PATH environment variable. {_HOW_TO_GET}"
            )
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if not os.path.exists(path):
        raise FileNotFoundError(f"FER2013 path {path!r} does not exist. {_HOW_TO_GET}")
    if os.path.isfile(path):
        return "csv", path
    found = _layout_in(path)
    if found is not None:
        return found
    # one level down, e.g. the directory a Kaggle archive was extracted into
    try:
        subdirs = sorted(e.path for e in os.scandir(path)
                         if e.is_dir() and not e.name.startswith("."))
    except OSError:
        subdirs = []
    nested = [f for f in map(_layout_in, subdirs) if f is not None]
    if len(nested) == 1:
        return nested[0]
    if len(nested) > 1:
        raise FER2013FormatError(
            f"{path!r} holds several FER2013 copies ({', '.join(p for _, p in nested)}); "
            "pass the one to load."
        )
    hint = ""
    try:
        if any(entry.lower() in EMOTION_INDEX for entry in os.listdir(path)):
            hint = (
                " It holds emotion folders, so it looks like a single split folder "
                "(train/ or test/): pass its parent directory instead."
            )
    except OSError:
        pass
    raise FER2013FormatError(
        f"{path!r} is neither a FER2013 CSV file nor a directory holding "
        f"fer2013.csv, icml_face_data.csv or train/ and test/ image folders.{hint}"
    )


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------


def _say(verbose, message):
    if verbose:
        print(f"fer_classic: {message}", file=sys.stderr, flush=True)


def _from_cache(filename, key, kind, path):
    """The FER2013 stored in a cache file, or None if it is unusable."""
    arrays = read_cache(filename, key)
    if arrays is None:
        return None
    try:
        return FER2013(*arrays, source=kind, path=path)
    except (KeyError, ValueError, TypeError):
        return None


def load_fer2013(path=None, *, cache=True, cache_dir=None, resize=False, verbose=True):
    """Load FER2013 from a CSV file or an image-folder release.

    Accepted locations:

    * a CSV file: the original ``fer2013.csv`` (header ``emotion,pixels,Usage``)
      or ``icml_face_data.csv`` (header ``emotion, Usage, pixels``). Columns may
      come in any order and extra columns are ignored; a UTF-8 byte-order
      mark, CRLF line endings, blank lines, whitespace around fields and
      repeated whitespace between pixels are accepted; a gzip-compressed file
      is decompressed;
    * an image-folder root holding ``train/<emotion>/Training_<id>.jpg`` and
      ``test/<emotion>/PublicTest_<id>.jpg`` / ``PrivateTest_<id>.jpg``
      (PNG and other formats OpenCV reads are accepted too). The label comes
      from the emotion folder name (angry, disgust, fear, happy, sad,
      surprise, neutral; any case), the split from the file-name prefix.
      Hidden files, ``Thumbs.db`` and ``desktop.ini`` are skipped, as are
      other entries of the root and non-image files beside the emotion
      folders; anything else unexpected is an error;
    * a directory holding ``fer2013.csv`` or ``icml_face_data.csv``
      (preferred over image folders when both exist) or the ``train/`` and
      ``test/`` folders, either directly or in one of its subdirectories
      (e.g. the folder a Kaggle archive was extracted into).

    Faces keep the file order for CSV files; image folders are sorted by
    split (Training, PublicTest, PrivateTest), then label, then file name.
    Nothing is ever dropped silently: the first problem found raises a
    :class:`FER2013FormatError` naming the file and the row or field.

    Decoded arrays are cached in :func:`get_cache_dir` (never next to the
    data), keyed by the resolved path and the file's size, modification and
    status-change times and inode (for folders: the names, sizes,
    modification and status-change times of all images), so the second load
    only lists the files and reads one ``.npz``.
    A damaged cache file is ignored (with a warning) and rewritten.

    Parameters
    ----------
    path : str or path-like, default=None
        CSV file or directory. ``None`` uses the ``FER2013_PATH``
        environment variable.
    cache : bool, default=True
        Read and write the on-disk cache.
    cache_dir : str or path-like, default=None
        Cache directory; ``None`` means :func:`get_cache_dir`.
    resize : bool, default=False
        Convert colour images to grayscale and resize images that are not
        48x48 with ``cv2.INTER_AREA``, instead of refusing them (image
        folders only; CSV rows must hold exactly 2304 pixels).
    verbose : bool, default=True
        Show a progress bar while decoding and say where data came from.

    Returns
    -------
    data : FER2013
        ``data.images`` (n, 48, 48) uint8, ``data.target``, ``data.split``,
        ``data.ids``; ``data.source`` is ``'csv'`` or ``'folder'``.

    Raises
    ------
    FileNotFoundError
        If no path is given and ``FER2013_PATH`` is unset, or the path does
        not exist; the message says how to get the data.
    FER2013FormatError
        If the data are not in one of the formats above.

    Examples
    --------
    >>> import os, tempfile
    >>> from fer_classic.datasets import load_fer2013, make_synthetic_faces, write_fer2013_csv
    >>> tmp = tempfile.mkdtemp()
    >>> csv_file = write_fer2013_csv(make_synthetic_faces(5), os.path.join(tmp, "fer2013.csv"))
    >>> data = load_fer2013(csv_file, cache=False, verbose=False)
    >>> len(data), data.source, str(data.ids[0])
    (35, 'csv', 'row 2')
    """
    kind, path = _resolve_path(path)
    entries = list_folder(path) if kind == "folder" else None
    stamp = source_stamp(kind, path, entries)

    cache_file = stale_glob = key = None
    if cache:
        cache_file, stale_glob, key = cache_files(kind, path, bool(resize), stamp, cache_dir)
        if os.path.exists(cache_file):
            data = _from_cache(cache_file, key, kind, path)
            if data is not None:
                _say(verbose, f"loaded FER2013 ({kind}, {len(data)} faces) from cache "
                              f"{cache_file}")
                return data
            warnings.warn(
                f"Ignoring unreadable FER2013 cache file {cache_file}; rebuilding it.",
                RuntimeWarning,
                stacklevel=2,
            )

    _say(verbose, f"reading FER2013 {kind} data from {path}")
    if kind == "csv":
        arrays = read_csv(path, verbose)
    else:
        arrays = read_folder(path, entries, bool(resize), verbose)
    data = FER2013(*arrays, source=kind, path=path)

    if cache:
        try:
            write_cache(cache_file, stale_glob, key, data.images, data.target, data.split,
                        data.ids)
            _say(verbose, f"cached decoded arrays in {cache_file}")
        except OSError as exc:
            warnings.warn(f"Could not write the FER2013 cache file {cache_file}: {exc}",
                          RuntimeWarning, stacklevel=2)
    return data
