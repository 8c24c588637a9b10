"""The FER2013 CSV format: its reader, :func:`read_csv`, and writer, :func:`write_fer2013_csv`.

The original ``fer2013.csv`` has the header ``emotion,pixels,Usage`` and its
re-release ``icml_face_data.csv`` the header ``emotion, Usage, pixels``: one
face per row, pixels as 2304 space-separated integers. The reader accepts
columns in any order, a byte-order mark, CRLF line ends, blank lines and
gzip compression, and raises
:class:`~fer_classic.datasets.FER2013FormatError` naming the row and field
of the first problem found; the writer produces the original layout.
"""

import csv
import gzip
import io
import os
import warnings

import numpy as np
from tqdm.auto import tqdm

from .. import EMOTIONS, FACE_SIZE, SPLITS
from ..utils.fileio import atomic_write
from ._errors import FER2013FormatError

__all__ = ["read_csv", "write_fer2013_csv"]

_N_PIXELS = FACE_SIZE * FACE_SIZE
_SPLIT_INDEX = {name: i for i, name in enumerate(SPLITS)}
_SPLIT_BY_LOWER = {name.lower(): name for name in SPLITS}
_LABELS_TEXT = ", ".join(f"{i}={name}" for i, name in enumerate(EMOTIONS))


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


def read_csv(path, verbose):
    """Read the faces of a FER2013 CSV file, validating every row.

    Parameters
    ----------
    path : str
        CSV file, possibly gzip-compressed.
    verbose : bool
        Show a progress bar.

    Returns
    -------
    images : ndarray of shape (n, 48, 48), dtype uint8
    target : ndarray of shape (n,), dtype int64
    split : ndarray of shape (n,), dtype str
        Split name of each row.
    ids : ndarray of shape (n,), dtype str
        ``'row N'``, ``N`` the 1-based line number (the header is line 1).

    Raises
    ------
    FER2013FormatError
        On the first malformed header, row or field, or a missing split.
    """
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
        Faces to write, e.g. from :func:`~fer_classic.datasets.load_fer2013` on an
        image folder.
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
    from .fer2013 import FER2013  # imported here: fer2013 imports this module

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
