"""Read FER2013 from its CSV or image-folder release, with an on-disk cache.

Two layouts of the same 35,887 faces are in circulation:

* the original challenge CSV, ``fer2013.csv`` (header ``emotion,pixels,Usage``),
  and its later re-release ``icml_face_data.csv`` (header
  ``emotion, Usage, pixels``): one face per row, pixels as 2304 space-separated
  integers;
* an image-folder layout, ``train/<emotion>/Training_<id>.jpg`` and
  ``test/<emotion>/{PublicTest,PrivateTest}_<id>.jpg``.

:func:`load_fer2013` reads either one into a :class:`FER2013` container and
caches the decoded arrays under :func:`~fer_classic.datasets.get_cache_dir`.
"""

import csv
import glob
import gzip
import hashlib
import io
import os
import sys
import warnings
from dataclasses import dataclass, field

import cv2
import numpy as np
from tqdm.auto import tqdm

from .. import EMOTIONS, FACE_SIZE, SPLITS
from ..utils.fileio import atomic_write
from ..utils.images import decode_image_bytes
from ..utils.validation import check_faces
from .cache import get_cache_dir, hash_strings, load_arrays, save_arrays

__all__ = ["FER2013", "FER2013FormatError", "load_fer2013", "write_fer2013_csv"]

#: Bumped whenever the cached representation or the decoding changes.
_CACHE_VERSION = "1"

_N_PIXELS = FACE_SIZE * FACE_SIZE
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
_IGNORED_FILES = {"thumbs.db", "desktop.ini"}
_CSV_NAMES = ("fer2013.csv", "icml_face_data.csv", "fer2013.csv.gz", "icml_face_data.csv.gz")
_FOLDER_SPLITS = ("train", "test")
_EMOTION_INDEX = {name.lower(): i for i, name in enumerate(EMOTIONS)}
_SPLIT_INDEX = {name: i for i, name in enumerate(SPLITS)}
_SPLIT_BY_LOWER = {name.lower(): name for name in SPLITS}
_SPLIT_ID_BY_PREFIX = {name.lower(): i for i, name in enumerate(SPLITS)}
_LABELS_TEXT = ", ".join(f"{i}={name}" for i, name in enumerate(EMOTIONS))

_HOW_TO_GET = (
    "FER2013 is distributed by Kaggle: the original 'Challenges in Representation "
    "Learning: Facial Expression Recognition Challenge' (fer2013.csv or "
    "icml_face_data.csv) or the image-folder release 'FER-2013' (train/ and test/ "
    "folders of 48x48 JPEGs). Download one of them and give its location: "
    "`python -m fer_classic.bench --data PATH` on the command line, "
    "load_fer2013(PATH) in Python, or the FER2013_PATH environment variable."
)


class FER2013FormatError(ValueError):
    """FER2013 data on disk does not have the expected format.

    The message names the file, the row or field at fault and what was
    expected. It is a :class:`ValueError`, so ``except ValueError`` catches it.
    """


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
        labels_text = (_LABELS_TEXT if self.target_names == EMOTIONS else
                       ", ".join(f"{i}={t}" for i, t in enumerate(self.target_names)))
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


def _find_child(directory, name):
    """Return the entry of ``directory`` called ``name`` ignoring case, or None."""
    exact = os.path.join(directory, name)
    if os.path.exists(exact):
        return exact
    try:
        for entry in os.listdir(directory):
            if entry.lower() == name.lower():
                return os.path.join(directory, entry)
    except OSError:
        pass
    return None


def _layout_in(directory):
    """``(kind, path)`` of the FER2013 data directly inside ``directory``, or None.

    A CSV file (``fer2013.csv``, ``icml_face_data.csv``, optionally gzipped)
    is preferred over ``train/`` and ``test/`` image folders.
    """
    for name in _CSV_NAMES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return "csv", candidate
    for name in _FOLDER_SPLITS:
        child = _find_child(directory, name)
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
        if any(entry.lower() in _EMOTION_INDEX for entry in os.listdir(path)):
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
# image folders
# --------------------------------------------------------------------------


def _list_folder(root):
    """List the images of an image-folder release, sorted and validated.

    Returns a list of ``(split_index, label, name, relpath, size, mtime_ns, ctime_ns)``.
    """
    entries = []
    bad_prefix = []
    for top_name in _FOLDER_SPLITS:
        top = _find_child(root, top_name)
        if top is None or not os.path.isdir(top):
            continue
        top_rel = os.path.basename(top)
        with os.scandir(top) as it:
            emotion_dirs = sorted(it, key=lambda e: e.name)
        for emo in emotion_dirs:
            if emo.name.startswith("."):
                continue
            if not emo.is_dir():
                if emo.name.lower().endswith(_IMAGE_EXTENSIONS):
                    raise FER2013FormatError(
                        f"{emo.path}: image outside an emotion folder; expected "
                        f"{top_rel}/<emotion>/<file> with <emotion> one of "
                        f"{[e.lower() for e in EMOTIONS]}."
                    )
                continue  # e.g. a README next to the emotion folders
            label = _EMOTION_INDEX.get(emo.name.lower())
            if label is None:
                raise FER2013FormatError(
                    f"{emo.path}: unknown emotion folder {top_rel}/{emo.name}; expected "
                    f"one of {[e.lower() for e in EMOTIONS]} (labels 0..6)."
                )
            rel_dir = f"{top_rel}/{emo.name}/"
            with os.scandir(emo.path) as it:
                files = list(it)
            for f in files:
                name = f.name
                lower = name.lower()
                if not lower.endswith(_IMAGE_EXTENSIONS) or not f.is_file():
                    if lower.startswith(".") or lower in _IGNORED_FILES:
                        continue
                    raise FER2013FormatError(
                        f"{f.path}: not an image file; expected only images "
                        f"({', '.join(_IMAGE_EXTENSIONS)}) in {top_rel}/{emo.name}."
                    )
                if lower.startswith("."):
                    continue
                split = _SPLIT_ID_BY_PREFIX.get(lower.partition("_")[0]) if "_" in name else None
                if split is None:
                    bad_prefix.append(f.path)
                    continue
                st = f.stat()
                entries.append((split, label, name, rel_dir + name, st.st_size, st.st_mtime_ns,
                                st.st_ctime_ns))
    if bad_prefix:
        more = f" (and {len(bad_prefix) - 1} more such files)" if len(bad_prefix) > 1 else ""
        raise FER2013FormatError(
            f"{sorted(bad_prefix)[0]}: file name has no known split prefix{more}; expected "
            "names like Training_<id>.jpg, PublicTest_<id>.jpg or PrivateTest_<id>.jpg, "
            "the prefix giving the challenge split."
        )
    if not entries:
        raise FER2013FormatError(
            f"{root}: no images found; expected train/<emotion>/Training_<id>.jpg and "
            "test/<emotion>/{PublicTest,PrivateTest}_<id>.jpg."
        )
    entries.sort()  # by split, label, file name, relative path
    present = {e[0] for e in entries}
    for i, name in enumerate(SPLITS):
        if i not in present:
            where = "train/" if name == "Training" else "test/"
            raise FER2013FormatError(
                f"{root}: split {name!r} has no images; expected {where}<emotion>/{name}_<id>"
                ".jpg files (every FER2013 split must be present)."
            )
    return entries


def _to_face(img, where, resize):
    """Check (or with ``resize`` convert) a decoded image to a 48x48 uint8 face."""
    if img.dtype != np.uint8:
        raise FER2013FormatError(
            f"{where}: image has dtype {img.dtype} ({img.dtype.itemsize * 8}-bit); expected "
            "8-bit grayscale."
        )
    if img.ndim == 3:
        channels = img.shape[2]
        if channels in (2, 4):  # drop the alpha channel
            img = img[:, :, : channels - 1]
            channels -= 1
        if channels == 1:
            img = img[:, :, 0]
        elif channels == 3:
            if (img[:, :, 0] == img[:, :, 1]).all() and (img[:, :, 0] == img[:, :, 2]).all():
                img = img[:, :, 0]  # gray stored as three equal channels
            elif resize:
                img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            else:
                raise FER2013FormatError(
                    f"{where}: colour image ({img.shape[1]}x{img.shape[0]}, 3 channels that "
                    "differ); FER2013 faces are 8-bit grayscale. Pass resize=True to "
                    "convert colour images to grayscale."
                )
    if img.ndim != 2:
        raise FER2013FormatError(
            f"{where}: image has shape {img.shape}; expected a 48x48 grayscale image."
        )
    if img.shape != (FACE_SIZE, FACE_SIZE):
        if not resize:
            raise FER2013FormatError(
                f"{where}: image is {img.shape[1]}x{img.shape[0]} pixels (width x height); "
                "expected 48x48. Pass resize=True to resize it (cv2.INTER_AREA)."
            )
        img = cv2.resize(img, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
    return img


def _decode_image(filename, resize):
    try:
        buf = np.fromfile(filename, dtype=np.uint8)
    except OSError as exc:
        raise FER2013FormatError(f"{filename}: could not read the file ({exc}).") from None
    img = decode_image_bytes(buf, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FER2013FormatError(
            f"{filename}: could not decode the image ({buf.size} bytes; empty, truncated, "
            "corrupt or not an image)."
        )
    return _to_face(img, filename, resize)


def _read_folder(root, entries, resize, verbose):
    n = len(entries)
    images = np.empty((n, FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    for i, entry in enumerate(
        tqdm(entries, desc="Decoding FER2013 images", unit="img", disable=not verbose,
             mininterval=0.5)
    ):
        images[i] = _decode_image(os.path.join(root, *entry[3].split("/")), resize)
    target = np.array([e[1] for e in entries], dtype=np.int64)
    split = np.array([SPLITS[e[0]] for e in entries])
    ids = np.array([e[3] for e in entries])
    return images, target, split, ids


# --------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------


def _diagnose_pixels(field_text, where):
    """Raise the error explaining why a pixels field did not parse."""
    tokens = field_text.split()
    for k, tok in enumerate(tokens, start=1):
        body = tok[1:] if tok[:1] in "+-" else tok
        if not (body.isascii() and body.isdigit()):
            raise FER2013FormatError(
                f"{where}, field 'pixels': non-numeric value {tok[:20]!r} at position {k}; "
                f"expected {_N_PIXELS} space-separated integers 0..255."
            )
    raise FER2013FormatError(
        f"{where}, field 'pixels': could not parse the pixel values; expected "
        f"{_N_PIXELS} space-separated integers 0..255."
    )


def _read_csv_bytes(path):
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise FER2013FormatError(f"{path}: could not read the file ({exc}).") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise FER2013FormatError(f"{path}: corrupt gzip file ({exc}).") from None
    if raw.startswith((b"PK\x03\x04", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")) or (
            raw[257:262] == b"ustar"):
        raise FER2013FormatError(f"{path}: an archive (zip, tar, ...), which fer_classic does "
                                 "not read; extract it and pass the CSV file or the folder.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FER2013FormatError(
            f"{path}: not UTF-8 text (undecodable byte at offset {exc.start}); expected a "
            "CSV file with header 'emotion,pixels,Usage'."
        ) from None


def _csv_records(text):
    """Return an upper bound on the number of lines and an iterator of them.

    The iterator yields ``(line_number, fields)``. Files without quotes and
    with plain ``\n`` or ``\r\n`` line ends (all FER2013 releases) are split
    with ``str.split``, several times faster than :mod:`csv`; anything else
    goes through the :mod:`csv` module.
    """
    if '"' not in text and ("\r" not in text or text.count("\r") == text.count("\r\n")):
        lines = text.split("\n")

        def fast():
            for number, line in enumerate(lines, start=1):
                yield number, line.split(",")

        return len(lines), fast()

    reader = csv.reader(io.StringIO(text, newline=""))

    def slow():
        for row in reader:
            yield reader.line_num, row

    return text.count("\n") + text.count("\r") + 1, slow()


def _csv_text_records(path):
    """Return the line-count bound and the records of a non-empty CSV file."""
    text = _read_csv_bytes(path)
    if not text.strip():
        raise FER2013FormatError(
            f"{path}: file is empty; expected a header line 'emotion,pixels,Usage' "
            "followed by one row per face."
        )
    return _csv_records(text)


def _csv_header(path, records):
    """Return the line number and fields of the first non-blank line (the header)."""
    for header_line, header in records:
        if any(f.strip() for f in header):
            return header_line, header
    raise FER2013FormatError(
        f"{path}: no header line; expected 'emotion,pixels,Usage' followed by one row "
        "per face."
    )


def _csv_columns(path, header_line, header):
    """Return the indices of the emotion, pixels and Usage columns of ``header``."""
    columns = [c.strip().lower() for c in header]
    missing = [name for name in ("emotion", "pixels", "Usage") if name.lower() not in columns]
    if missing:
        hint = ""
        if header[0].strip().isdigit():
            hint = " (the first line looks like data: the header line is missing)"
        shown = [c.strip() if len(c.strip()) <= 30 else c.strip()[:27] + "..." for c in header]
        raise FER2013FormatError(
            f"{path}, line {header_line} (header): missing column(s) "
            f"{', '.join(repr(m) for m in missing)}; expected a header naming emotion, pixels "
            f"and Usage in any order, got {shown}{hint}."
        )
    dup = sorted({c for c in ("emotion", "pixels", "usage") if columns.count(c) > 1})
    if dup:
        raise FER2013FormatError(
            f"{path}, line {header_line} (header): duplicate column(s) {dup}."
        )
    return tuple(columns.index(c) for c in ("emotion", "pixels", "usage"))


def _csv_pixels(pix_text, where):
    """Return the 2304 pixel values of a pixels field, or raise why they are invalid."""
    try:
        pixels = np.fromstring(pix_text, dtype=np.int64, sep=" ")
    except (ValueError, DeprecationWarning):
        _diagnose_pixels(pix_text, where)
    if pixels.size != _N_PIXELS:
        raise FER2013FormatError(
            f"{where}, field 'pixels': {pixels.size} values; expected {_N_PIXELS} "
            f"({FACE_SIZE}x{FACE_SIZE}) space-separated integers 0..255."
        )
    if np.any(pixels & ~0xFF):
        k = int(np.flatnonzero(pixels & ~0xFF)[0])
        raise FER2013FormatError(
            f"{where}, field 'pixels': value {int(pixels[k])} at position {k + 1} is "
            "outside 0..255; expected 8-bit grayscale values."
        )
    return pixels


def _csv_row(row, where, header, columns):
    """Return the label, split index and pixels of one data row, or raise why it is invalid."""
    i_emo, i_pix, i_use = columns
    if len(row) != len(header):
        raise FER2013FormatError(
            f"{where}: {len(row)} comma-separated field(s); expected {len(header)} "
            f"({', '.join(c.strip() for c in header)})."
        )
    emo = row[i_emo].strip()
    if not (emo.isascii() and emo.isdigit() and int(emo) < len(EMOTIONS)):
        raise FER2013FormatError(
            f"{where}, field 'emotion': expected an integer label 0..6 "
            f"({_LABELS_TEXT}), got {emo[:20]!r}."
        )
    usage = _SPLIT_BY_LOWER.get(row[i_use].strip().lower())
    if usage is None:
        raise FER2013FormatError(
            f"{where}, field 'Usage': unknown split {row[i_use].strip()[:30]!r}; "
            f"expected one of {list(SPLITS)}."
        )
    return int(emo), _SPLIT_INDEX[usage], _csv_pixels(row[i_pix], where)


def _check_csv_splits(path, split):
    """Raise unless ``split`` (one split index per row) is non-empty and has every split."""
    if len(split) == 0:
        raise FER2013FormatError(
            f"{path}: header found but no data rows; expected one row per face."
        )
    counts = np.bincount(split, minlength=len(SPLITS))
    for i, name in enumerate(SPLITS):
        if counts[i] == 0:
            raise FER2013FormatError(
                f"{path}: split {name!r} has no rows (no row has Usage {name!r}); every FER2013 "
                "split must be present."
            )


def _read_csv(path, verbose):
    """Return the images, labels, split names and row ids of a FER2013 CSV file."""
    n_max, records = _csv_text_records(path)
    header_line, header = _csv_header(path, records)
    columns = _csv_columns(path, header_line, header)
    images = np.empty((n_max, _N_PIXELS), dtype=np.uint8)
    target = np.empty(n_max, dtype=np.int64)
    split = np.empty(n_max, dtype=np.int8)
    ids = []
    n = 0
    progress = tqdm(desc="Reading FER2013 CSV", unit="row", total=n_max - header_line,
                    disable=not verbose, mininterval=0.5)
    with warnings.catch_warnings(), progress:
        # numpy < 2.3 warns (instead of raising) on unparsable text in fromstring
        warnings.simplefilter("error", DeprecationWarning)
        for line_number, row in records:
            if line_number % 1024 == 0:
                progress.update(1024)
            if not row or not any(f.strip() for f in row):
                continue  # blank line
            target[n], split[n], images[n] = _csv_row(row, f"{path}, row {line_number}",
                                                      header, columns)
            ids.append(f"row {line_number}")
            n += 1
        progress.update(max(progress.total - progress.n, 0))
    _check_csv_splits(path, split[:n])
    images = images[:n].reshape(n, FACE_SIZE, FACE_SIZE).copy()
    return images, target[:n].copy(), np.asarray(SPLITS)[split[:n]], np.array(ids)


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------


def _say(verbose, message):
    if verbose:
        print(f"fer_classic: {message}", file=sys.stderr, flush=True)


def _cache_files(kind, path, resize, stamp, cache_dir):
    """Return (cache file, glob of older versions for this source, key)."""
    source_hash = hash_strings(["fer2013", _CACHE_VERSION, kind, os.path.realpath(path), resize])
    key = hash_strings([source_hash, stamp])
    directory = get_cache_dir(cache_dir)
    prefix = f"fer2013-{kind}-{source_hash[:12]}-"
    return os.path.join(directory, f"{prefix}{key[:16]}.npz"), os.path.join(
        directory, f"{prefix}*.npz"), key


def _from_cache(filename, key, kind, path):
    """The FER2013 stored in a cache file, or None if it is unusable."""
    arrays = load_arrays(filename)
    if arrays is None:
        return None
    try:
        if str(arrays["key"]) != key:
            return None
        images = arrays["images"]
        if images.dtype != np.uint8 or images.ndim != 3 or len(images) == 0:
            return None
        return FER2013(images, arrays["target"], arrays["split"], arrays["ids"],
                       source=kind, path=path)
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
    if kind == "csv":
        st = os.stat(path)
        # ctime too: copying with `cp -p` or `rsync -t` keeps size and mtime
        stamp = f"csv {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"
        entries = None
    else:
        entries = _list_folder(path)
        stamp = hash_strings(f"{e[3]}\t{e[4]}\t{e[5]}\t{e[6]}" for e in entries)

    cache_file = stale_glob = key = None
    if cache:
        cache_file, stale_glob, key = _cache_files(kind, path, bool(resize), stamp, cache_dir)
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
        arrays = _read_csv(path, verbose)
    else:
        arrays = _read_folder(path, entries, bool(resize), verbose)
    data = FER2013(*arrays, source=kind, path=path)

    if cache:
        try:
            save_arrays(cache_file, images=data.images, target=data.target, split=data.split,
                        ids=data.ids, key=np.array(key))
            for old in glob.glob(stale_glob):
                if os.path.abspath(old) != os.path.abspath(cache_file):
                    try:
                        os.unlink(old)
                    except OSError:
                        pass
            _say(verbose, f"cached decoded arrays in {cache_file}")
        except OSError as exc:
            warnings.warn(f"Could not write the FER2013 cache file {cache_file}: {exc}",
                          RuntimeWarning, stacklevel=2)
    return data


def _pixel_lines(images, chunk=2048):
    """Yield the space-separated decimal text of each face, as bytes.

    Each pixel is looked up as 4 bytes (its digits, a separator, NUL
    padding), the NULs are removed from a whole block at once and the block
    is split into rows at the newline that ends each face's last pixel.
    """
    def table(end):
        out = np.zeros((256, 4), dtype=np.uint8)
        for v in range(256):
            text = str(v).encode() + end
            out[v, : len(text)] = np.frombuffer(text, dtype=np.uint8)
        return out.view(np.uint32).ravel()

    inner, last = table(b" "), table(b"\n")
    flat = images.reshape(len(images), -1)
    for start in range(0, len(flat), chunk):
        block = flat[start:start + chunk]
        chars = inner[block]
        chars[:, -1] = last[block[:, -1]]
        yield from chars.tobytes().translate(None, b"\x00").split(b"\n")[:-1]


def write_fer2013_csv(data, path):
    """Write faces as a FER2013 CSV file (``emotion,pixels,Usage``).

    The file is written to a temporary file next to ``path`` and moved into
    place, so an interrupted write never leaves a partial CSV. Row order is
    the order of ``data``; lines end with ``\\n``.

    Parameters
    ----------
    data : FER2013
        Faces to write, e.g. from :func:`load_fer2013` on an image folder.
    path : str or path-like
        Destination CSV file.

    Returns
    -------
    path : str
        Absolute path of the written file.

    Examples
    --------
    >>> import os, tempfile
    >>> from fer_classic.datasets import make_synthetic_faces, write_fer2013_csv
    >>> out = write_fer2013_csv(make_synthetic_faces(3), os.path.join(tempfile.mkdtemp(), "f.csv"))
    >>> open(out).readline().strip()
    'emotion,pixels,Usage'
    """
    if not isinstance(data, FER2013):
        raise TypeError(
            f"data must be a FER2013 container (from load_fer2013 or make_synthetic_faces); "
            f"got {type(data).__name__}."
        )
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    with atomic_write(path, "wb") as fh:
        fh.write(b"emotion,pixels,Usage\n")
        labels = data.target.tolist()
        splits = data.split.tolist()
        buffer = []
        for i, pixels in enumerate(_pixel_lines(data.images)):
            buffer.append(b"%d,%s,%s\n" % (labels[i], pixels, splits[i].encode()))
            if len(buffer) >= 4096:
                fh.write(b"".join(buffer))
                buffer.clear()
        fh.write(b"".join(buffer))
    return path
