"""The error raised when FER2013 data on disk is malformed: :class:`FER2013FormatError`.

It lives in a module of its own so that the readers (:mod:`._csv`,
:mod:`._folder`) and :mod:`.fer2013`, which re-exports it as part of the
public API, can all raise it without importing one another in a cycle.
"""

__all__ = ["FER2013FormatError"]


class FER2013FormatError(ValueError):
    """FER2013 data on disk does not have the expected format.

    The message names the file, the row or field at fault and what was
    expected. It is a :class:`ValueError`, so ``except ValueError`` catches it.
    """
