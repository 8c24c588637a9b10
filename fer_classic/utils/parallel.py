"""Run a function over chunks of a face stack, in threads, with bounded memory."""

import numbers

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from .progress import progress, progress_enabled
from .validation import check_positive_int


def check_n_jobs(n_jobs, name="n_jobs"):
    """Return ``n_jobs`` if it is None or a non-zero integer (joblib's meaning), else raise.

    Examples
    --------
    >>> check_n_jobs(-1)
    -1
    """
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(
            f"{name} must be None or a non-zero integer (-1 for all cores); got {n_jobs!r}."
        )
    return int(n_jobs)


def map_chunks(func, faces, *, chunk_size=1024, n_jobs=None, desc=None):
    """Apply ``func`` to consecutive chunks of ``faces`` and stack the results.

    ``func`` must map an array of ``m`` rows to an array with ``m`` rows whose
    trailing shape and dtype do not depend on the chunk. The output is
    allocated once (its row shape learnt from the first chunk, or from a
    one-row probe when running in parallel) and every chunk writes its rows
    into it, so peak memory is the output plus the temporaries of the
    ``n_jobs`` chunks in flight, never a list of partial results plus their
    concatenation.

    Chunks run in joblib *threads*: this pays off when ``func`` spends its
    time in NumPy / OpenCV calls that release the GIL. ``func`` must have no
    side effects: with several threads it is also called once on the first
    row alone, to learn the output shape.

    Parameters
    ----------
    func : callable
        ``func(chunk) -> ndarray`` with ``len(result) == len(chunk)``.
    faces : ndarray of shape (n, ...)
        Stack to split along its first axis.
    chunk_size : int, default=1024
        Rows per chunk.
    n_jobs : int or None, default=None
        Number of threads. ``None`` means 1 unless inside a
        :func:`joblib.parallel_config` context; ``-1`` means all cores.
    desc : str or None, default=None
        Label of a progress bar over the chunks (on stderr), shown inside
        :func:`~fer_classic.utils.progress.show_progress`; ``None`` shows none.

    Returns
    -------
    out : ndarray of shape (n, ...)
        ``func`` applied to each chunk, concatenated in order.

    Examples
    --------
    >>> import numpy as np
    >>> map_chunks(lambda a: a.sum(axis=1, keepdims=True), np.ones((5, 3)),
    ...            chunk_size=2).ravel()
    array([3., 3., 3., 3., 3.])
    """
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    n_jobs = check_n_jobs(n_jobs)
    n = len(faces)
    if n == 0:
        raise ValueError("map_chunks needs at least one row; got an empty stack.")
    bounds = [(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)]

    def _checked(start, stop):
        res = np.asarray(func(faces[start:stop]))
        if res.ndim == 0 or len(res) != stop - start:
            raise ValueError(
                f"map_chunks: func returned shape {res.shape} for a chunk of "
                f"{stop - start} rows; expected {stop - start} rows."
            )
        return res

    n_threads = min(effective_n_jobs(n_jobs), len(bounds))
    bar = progress(total=n, desc=desc, unit="face",
                   disable=desc is None or len(bounds) == 1 or not progress_enabled())
    if n_threads <= 1:
        with bar:
            first = _checked(*bounds[0])
            bar.update(len(first))
            if len(bounds) == 1:
                return first
            out = np.empty((n,) + first.shape[1:], dtype=first.dtype)
            out[: len(first)] = first
            del first
            for start, stop in bounds[1:]:
                out[start:stop] = _checked(start, stop)
                bar.update(stop - start)
        return out

    probe = _checked(0, 1)
    out = np.empty((n,) + probe.shape[1:], dtype=probe.dtype)
    del probe

    def _run(start, stop):
        out[start:stop] = _checked(start, stop)
        return stop - start

    with bar:
        for done in Parallel(n_jobs=n_threads, backend="threading",
                             return_as="generator_unordered")(
                delayed(_run)(start, stop) for start, stop in bounds):
            bar.update(done)
    return out
