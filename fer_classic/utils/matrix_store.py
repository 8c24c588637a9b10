"""Feature matrices cached on disk as ``.npy`` files, read back memory-mapped.

One cache entry is a directory: the matrices, one ``.npy`` file each (a
sparse matrix in scipy's ``.npz``), a pickled Python object that goes with
them (the fitted feature steps) and ``entry.json``, written last, which
lists them. An entry is written in a directory of its own and renamed into
place when complete, so that a reader never sees half an entry; a damaged
or incomplete entry is removed with one warning and rebuilt (a cache is
disposable).

Dense matrices are written a block of rows at a time by
:class:`MatrixWriter`, so that the rows computed so far need not be held in
memory, and read back with :func:`numpy.load` ``(mmap_mode='r')``: the
process holds the pages it reads until they are released
(:func:`~fer_classic.utils.mapped.release`), not the matrix.
"""

import json
import os
import shutil
import uuid
import warnings
from pathlib import Path

import joblib
import numpy as np
from scipy import sparse

from .memory import CacheWarning

__all__ = ["EntryWriter", "MatrixWriter", "MemoryEntry", "read_entry"]

_ENTRY = "entry.json"
_OBJECT = "object.pkl"
#: Bump when the layout changes: older entries are then rebuilt, not misread.
_VERSION = 1


class MatrixWriter:
    """Write a dense ``.npy`` matrix a block of rows at a time.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    n_rows : int
        Rows of the whole matrix.
    row_shape : tuple of int
        Shape of one row (``(n_features,)`` for a matrix).
    dtype : dtype

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "m.npy")
    ...     with MatrixWriter(path, 3, (2,), np.float32) as w:
    ...         w.write(np.ones((2, 2), np.float32))
    ...         w.write(np.zeros((1, 2), np.float32))
    ...     print(np.load(path).tolist())
    [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
    """

    def __init__(self, path, n_rows, row_shape, dtype):
        self.path = Path(path)
        self.n_rows = int(n_rows)
        self.row_shape = tuple(row_shape)
        self.dtype = np.dtype(dtype)
        self.rows_written = 0
        self._file = open(self.path, "wb")
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                  "shape": (self.n_rows, *self.row_shape)}
        np.lib.format.write_array_header_2_0(self._file, header)

    def write(self, block):
        """Append rows (an array of shape ``(k, *row_shape)`` and the writer's dtype)."""
        block = np.ascontiguousarray(block)
        if block.shape[1:] != self.row_shape or block.dtype != self.dtype:
            raise ValueError(f"{self.path.name}: rows of shape {block.shape[1:]} and dtype "
                             f"{block.dtype} do not match the matrix's {self.row_shape} and "
                             f"{self.dtype}.")
        if self.rows_written + len(block) > self.n_rows:
            raise ValueError(f"{self.path.name}: {self.rows_written + len(block)} rows written, "
                             f"more than the {self.n_rows} announced.")
        self._file.write(memoryview(block).cast("B"))
        self.rows_written += len(block)

    def close(self):
        """Close the file; raises if fewer rows than announced were written."""
        self._file.close()
        if self.rows_written != self.n_rows:
            raise ValueError(f"{self.path.name}: {self.rows_written} rows written of the "
                             f"{self.n_rows} announced.")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self._file.close()


class EntryWriter:
    """Write one entry: its matrices one by one, then its object; atomic on :meth:`finish`.

    Use it as a context manager: an entry left unfinished (an exception, or
    no :meth:`finish`) leaves nothing behind.

    Parameters
    ----------
    path : str or pathlib.Path
        The entry's directory; its parent is created. An entry already
        there when this one is finished (written meanwhile by another
        process) is kept.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with EntryWriter(os.path.join(d, "e")) as entry:
    ...         entry.add(np.eye(2))
    ...         with entry.writer(1, (2,), np.float32) as w:
    ...             w.write(np.ones((1, 2), np.float32))
    ...         entry.finish({"fitted": "steps"}, meta={"seconds": 1.5})
    ...     obj, (A, B), meta = read_entry(os.path.join(d, "e"))
    ...     print(obj, A.tolist(), B.tolist(), meta)
    ...     del A, B
    {'fitted': 'steps'} [[1.0, 0.0], [0.0, 1.0]] [[1.0, 1.0]] {'seconds': 1.5}
    """

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.parent / f".{self.path.name}.{uuid.uuid4().hex}.partial"
        self._tmp.mkdir()
        self._names = []

    def _next(self, suffix):
        name = f"matrix{len(self._names)}{suffix}"
        self._names.append(name)
        return self._tmp / name

    def add(self, matrix):
        """Store a whole matrix (dense array or sparse matrix) as the next one."""
        if sparse.issparse(matrix):
            sparse.save_npz(self._next(".npz"), matrix.tocsr(), compressed=False)
        else:
            np.save(self._next(".npy"), np.asarray(matrix), allow_pickle=False)

    def writer(self, n_rows, row_shape, dtype):
        """A :class:`MatrixWriter` for the next matrix, written block by block."""
        return MatrixWriter(self._next(".npy"), n_rows, row_shape, dtype)

    def finish(self, obj, meta=None):
        """Store ``obj`` (pickled) and ``meta`` (JSON-able), and move the entry into place."""
        joblib.dump(obj, self._tmp / _OBJECT)
        with open(self._tmp / _ENTRY, "w") as fh:
            json.dump({"version": _VERSION, "matrices": self._names, "meta": meta or {}}, fh)
        try:
            os.rename(self._tmp, self.path)
        except OSError:  # an entry appeared meanwhile: keep that one
            if not (self.path / _ENTRY).exists():
                raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self._tmp, ignore_errors=True)  # gone once renamed


def _load_matrix(file):
    if file.suffix == ".npz":
        return sparse.load_npz(file)
    return np.load(file, mmap_mode="r", allow_pickle=False)


def read_entry(path):
    """``(obj, matrices, meta)`` of the entry at ``path``, or None if there is none.

    Dense matrices come back memory-mapped, read-only. A damaged or
    incomplete entry is removed, with a :class:`~fer_classic.utils.memory.CacheWarning`
    naming it, and None is returned (the caller rebuilds it).
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        with open(path / _ENTRY) as fh:
            listing = json.load(fh)
        if listing.get("version") != _VERSION:
            raise ValueError(f"layout version {listing.get('version')!r}, expected {_VERSION}")
        matrices = [_load_matrix(path / name) for name in listing["matrices"]]
        obj = joblib.load(path / _OBJECT)
        return obj, matrices, listing.get("meta", {})
    except Exception as exc:  # noqa: BLE001 - any damage means: rebuild
        warnings.warn(f"the cache entry {path} could not be read ({type(exc).__name__}: "
                      f"{exc}); rebuilding it", CacheWarning, stacklevel=2)
        shutil.rmtree(path, ignore_errors=True)
        return None


class _ArrayWriter:
    """:class:`MatrixWriter`'s interface over an array in memory."""

    def __init__(self, out):
        self.out = out
        self.rows_written = 0

    def write(self, block):
        self.out[self.rows_written:self.rows_written + len(block)] = block
        self.rows_written += len(block)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


class MemoryEntry:
    """:class:`EntryWriter`'s interface in memory: the matrices end up in ``matrices``.

    Code that computes an entry's matrices can write to either, so that the
    same computation fills a cache entry or, without a cache, arrays in memory.

    Examples
    --------
    >>> import numpy as np
    >>> entry = MemoryEntry()
    >>> with entry.writer(2, (3,), np.float32) as w:
    ...     w.write(np.ones((2, 3), np.float32))
    >>> entry.matrices[0].shape
    (2, 3)
    """

    def __init__(self):
        self.matrices = []

    def add(self, matrix):
        """Keep a whole matrix as the next one."""
        self.matrices.append(matrix)

    def writer(self, n_rows, row_shape, dtype):
        """A writer of the next matrix, an array of this shape and dtype."""
        out = np.empty((n_rows, *row_shape), dtype=dtype)
        self.matrices.append(out)
        return _ArrayWriter(out)
