"""FER+ labels: ten crowd-sourced votes per FER2013 face (Barsoum et al., ICMI 2016).

Microsoft's FERPlus repository publishes ``fer2013new.csv`` (MIT licence): one
row per row of the original ``fer2013.csv``, in the same order, with the
columns ``Usage, Image name`` and the vote counts of ``neutral, happiness,
surprise, sadness, anger, disgust, fear, contempt, unknown, NF`` (NF: not a
face). :func:`read_ferplus` reads and checks it; :func:`ferplus_majority`
gives the FER+ reference's hard labels and :func:`ferplus_distribution` the
vote distribution as soft labels; :func:`with_ferplus_labels` puts the hard
labels on faces read from ``fer2013.csv``.

The eight FER+ classes are in FER+'s order (:data:`FERPLUS_CLASSES`), which is
not FER2013's order of label ids, and include contempt, which FER2013 lacks.
The rows join to FER2013 only through the row order of ``fer2013.csv``: the
image-folder release carries none.
"""

import csv
import os
import re
from dataclasses import dataclass

import numpy as np

from .. import SPLITS
from .fer2013 import FER2013, FER2013FormatError

__all__ = ["FERPLUS_CLASSES", "FERPlusVotes", "read_ferplus", "ferplus_majority",
           "ferplus_distribution", "with_ferplus_labels"]

#: The eight FER+ emotions, in the order of their vote columns.
FERPLUS_CLASSES = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                   "contempt")
#: Every vote column: the emotions, then ``unknown`` and ``NF`` (not a face).
VOTE_COLUMNS = FERPLUS_CLASSES + ("unknown", "NF")
_HEADER = ("Usage", "Image name") + VOTE_COLUMNS
_NAME = re.compile(r"fer\d{7}\.png")


@dataclass(frozen=True)
class FERPlusVotes:
    """The votes of ``fer2013new.csv``, one row per row of ``fer2013.csv``.

    Attributes
    ----------
    votes : ndarray of shape (n, 10), int
        Vote counts in the order of :data:`VOTE_COLUMNS`.
    split : ndarray of shape (n,), str
        ``Usage``: Training, PublicTest or PrivateTest.
    image_names : ndarray of shape (n,), str
        ``Image name``: FERPlus's file name ``ferNNNNNNN.png`` (173 rows, all
        voted not a face, have none). Row ``i`` is row ``i`` of
        ``fer2013.csv``; the number in the name is not that row index.
    path : str
    """

    votes: np.ndarray
    split: np.ndarray
    image_names: np.ndarray
    path: str = None


def read_ferplus(path):
    """Read and check ``fer2013new.csv``.

    Parameters
    ----------
    path : str or path-like
        The file, or a folder holding ``fer2013new.csv``.

    Returns
    -------
    votes : FERPlusVotes

    Raises
    ------
    FER2013FormatError
        Naming the file, the line and the field at fault: a missing or other
        header, a row of another length, an unknown split, a vote count that
        is not a whole number in 0..10, or an image name not like
        ``fer0000000.png``.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "fer2013new.csv")
    if not os.path.isfile(path):
        raise FER2013FormatError(f"FER+ label file {path!r} does not exist; it is "
                                 "fer2013new.csv from Microsoft's FERPlus repository.")
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = tuple(next(rows, ()))
        if header != _HEADER:
            raise FER2013FormatError(f"{path}, line 1: expected the header "
                                     f"{','.join(_HEADER)}; got {','.join(header) or 'nothing'}.")
        split, names, votes = [], [], []
        for line, row in enumerate(rows, start=2):
            split.append(_split(path, line, row))
            names.append(_image_name(path, line, row))
            votes.append(_votes(path, line, row))
    if not votes:
        raise FER2013FormatError(f"{path}: the header is there but no row follows it.")
    return FERPlusVotes(votes=np.asarray(votes, dtype=np.int64), split=np.asarray(split),
                        image_names=np.asarray(names), path=path)


def _split(path, line, row):
    if len(row) != len(_HEADER):
        raise FER2013FormatError(f"{path}, line {line}: expected {len(_HEADER)} fields "
                                 f"({','.join(_HEADER)}); got {len(row)}.")
    if row[0] not in SPLITS:
        raise FER2013FormatError(f"{path}, line {line}, field Usage: expected one of "
                                 f"{', '.join(SPLITS)}; got {row[0]!r}.")
    return row[0]


def _image_name(path, line, row):
    # The names are FERPlus's own file names, not fer2013.csv row numbers:
    # the rows, not the names, follow fer2013.csv's order.
    name = row[1]
    if name and not _NAME.fullmatch(name):
        raise FER2013FormatError(f"{path}, line {line}, field Image name: expected a name "
                                 f"like 'fer0000000.png' or nothing; got {name!r}.")
    return name


def _votes(path, line, row):
    out = []
    for column, text in zip(VOTE_COLUMNS, row[2:]):
        try:
            value = int(text)
        except ValueError:
            value = -1
        if not 0 <= value <= 10:
            raise FER2013FormatError(f"{path}, line {line}, field {column}: expected a vote "
                                     f"count, a whole number in 0..10; got {text!r}.")
        out.append(value)
    return out


def _kept_votes(votes):
    """Votes with every count of 1 or less set to 0 (the FER+ reference drops them as noise)."""
    votes = np.asarray(votes.votes if isinstance(votes, FERPlusVotes) else votes)
    if votes.ndim != 2 or votes.shape[1] != len(VOTE_COLUMNS):
        raise ValueError(f"votes must have shape (n, {len(VOTE_COLUMNS)}) (columns "
                         f"{', '.join(VOTE_COLUMNS)}); got {votes.shape}.")
    return np.where(votes > 1, votes, 0)


def ferplus_majority(votes):
    """FER+ hard labels by the FER+ reference's majority rule.

    Vote counts of 1 or less are dropped; a face takes the column with the
    most remaining votes when that column holds more than half of them. A
    face whose winner is ``unknown`` or ``NF``, or that has no majority, is
    dropped (label -1).

    Parameters
    ----------
    votes : FERPlusVotes or array-like of shape (n, 10)

    Returns
    -------
    labels : ndarray of shape (n,), int
        Indices into :data:`FERPLUS_CLASSES`, or -1 for a dropped face.

    Examples
    --------
    >>> ferplus_majority([[4, 0, 0, 1, 3, 2, 0, 0, 0, 0],    # 4 of 9 kept votes: no majority
    ...                   [6, 0, 1, 1, 0, 0, 0, 0, 2, 0],    # neutral 6 of 8
    ...                   [0, 0, 0, 0, 0, 0, 0, 0, 0, 10]])  # not a face
    array([-1,  0, -1])
    """
    kept = _kept_votes(votes)
    total = kept.sum(axis=1)
    winner = kept.argmax(axis=1)
    top = kept[np.arange(len(kept)), winner]
    majority = (top * 2 > total) & (winner < len(FERPLUS_CLASSES))
    return np.where(majority, winner, -1)


def ferplus_distribution(votes):
    """The vote distribution over the eight emotions, as soft labels.

    Vote counts of 1 or less are dropped, as for :func:`ferplus_majority`;
    ``unknown`` and ``NF`` votes are left out and each row is normalised to
    sum to 1. Rows with no emotion vote left are all NaN.

    Parameters
    ----------
    votes : FERPlusVotes or array-like of shape (n, 10)

    Returns
    -------
    distribution : ndarray of shape (n, 8), float64

    Examples
    --------
    >>> ferplus_distribution([[6, 0, 1, 1, 0, 0, 0, 0, 2, 0]]).round(2).tolist()
    [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
    """
    kept = _kept_votes(votes)[:, :len(FERPLUS_CLASSES)].astype(np.float64)
    total = kept.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, kept / total, np.nan)


def with_ferplus_labels(data, votes):
    """The faces of ``data`` with FER+ majority labels instead of FER2013's.

    Faces without a FER+ majority label (no majority, ``unknown`` or not a
    face) are dropped; the labels index :data:`FERPLUS_CLASSES`, which
    become the data's ``target_names``.

    Parameters
    ----------
    data : FER2013
        Faces read from ``fer2013.csv`` (``source='csv'``): their ids
        (``'row N'``) are the rows that ``fer2013new.csv`` follows.
    votes : FERPlusVotes or str or path-like
        :func:`read_ferplus`'s result, or the file (or its folder) to read.

    Returns
    -------
    data : FER2013
        With ``source`` ``'csv+ferplus'`` and ``path`` naming both files.

    Raises
    ------
    FER2013FormatError
        If ``data`` does not come from a CSV file (image folders carry no
        row order), the two files have different numbers of rows, or a row
        has another split in the two (they are then not the same release).

    Examples
    --------
    >>> import numpy as np
    >>> from fer_classic.datasets import FER2013
    >>> faces = FER2013(np.zeros((3, 48, 48), np.uint8), [0, 3, 6], ["Training"] * 3,
    ...                 ids=["row 2", "row 3", "row 4"])
    >>> votes = FERPlusVotes(votes=np.array([[0, 9, 0, 0, 1, 0, 0, 0, 0, 0],   # happiness
    ...                                      [0, 0, 0, 0, 0, 0, 0, 0, 0, 10],  # not a face
    ...                                      [8, 0, 0, 0, 0, 0, 0, 2, 0, 0]]), # neutral
    ...                      split=np.array(["Training"] * 3), image_names=np.array([""] * 3))
    >>> relabelled = with_ferplus_labels(faces, votes)
    >>> relabelled.target.tolist(), relabelled.target_names[:2]
    ([1, 0], ('neutral', 'happiness'))
    """
    if not isinstance(votes, FERPlusVotes):
        votes = read_ferplus(votes)
    where = votes.path or "the FER+ votes"
    if data.source != "csv":
        raise FER2013FormatError(
            f"FER+ labels join fer2013.csv row by row; these faces come from "
            f"{data.path or data.source!r} ({data.source}), which has no row order. Pass the "
            "original fer2013.csv (or icml_face_data.csv) as the data.")
    if len(data) != len(votes.votes):
        raise FER2013FormatError(
            f"{where} has {len(votes.votes):,} rows but {data.path or 'the data'} has "
            f"{len(data):,} faces: they are not the same release of FER2013.")
    rows = np.array([int(i.split()[-1]) - 2 if i.startswith("row ") else -1 for i in data.ids])
    if (rows < 0).any() or (rows >= len(data)).any():
        raise FER2013FormatError(f"{data.path or 'the data'}: face ids must be 'row N' CSV line "
                                 f"numbers to join FER+ labels; got {data.ids[0]!r}.")
    mismatch = np.flatnonzero(votes.split[rows] != data.split)
    if mismatch.size:
        i = int(mismatch[0])
        raise FER2013FormatError(
            f"{where}, line {rows[i] + 2}, field Usage: {votes.split[rows[i]]!r}, but "
            f"{data.path or 'the data'} {data.ids[i]} is in {data.split[i]!r}: the two files "
            "do not follow the same rows.")
    labels = ferplus_majority(votes.votes)[rows]
    keep = labels >= 0
    path = f"{data.path} + {votes.path}" if data.path and votes.path else data.path
    return FER2013(data.images[keep], labels[keep], data.split[keep], data.ids[keep],
                   source="csv+ferplus", path=path, target_names=FERPLUS_CLASSES)
