"""Save fitted pipelines to disk and load them back, checked before reading the model.

A fer_classic model file holds a fitted scikit-learn estimator (normally the
pipeline the bench refitted on Training) behind a short text header that is
read and checked *before* anything else. The estimator is stored in one of
two ways:

* **arrays** (files ending in ``.model``): a JSON description of the
  estimator and its NumPy arrays (:mod:`fer_classic.portable`). Loading
  builds the classes the description names, from a fixed list of trusted
  fer_classic and scikit-learn classes, and runs no other code: such a file
  is as safe to load as an image. The bench writes this format for every
  pipeline made of those classes, and the model shipped with fer_classic is
  one;
* **joblib** (any other suffix, e.g. ``.joblib``): a pickle, for pipelines
  with parts the arrays format cannot describe (functions, other classes).

The layout::

    FER_CLASSIC_MODEL/1 sha256=<64 hex digits> header=<bytes> payload=<bytes>\\n
    {"format": "fer_classic-model", "versions": {...}, "label_names": [...], ...}\\n
    <payload: a joblib pickle, or an .npz archive of arrays and their JSON description>

The first line is the magic string, the format version, the SHA-256 of the
header and payload bytes that follow, and their sizes (zero-padded: the line
is written last, over a placeholder, so that a payload is streamed to disk,
never held in memory whole). The second is the
metadata as one line of JSON: fer_classic, scikit-learn, numpy and Python
versions, the class labels and their names, the training-data fingerprint,
the chosen hyper-parameters and the PublicTest/PrivateTest scores. ``head -2
model.joblib`` shows it; :func:`read_model_info` returns it without
unpickling anything.

Trust model
-----------
The checks below apply to both formats. **Loading a joblib (pickle) file
executes code chosen by whoever wrote it**; an arrays file does not.
Only load model files that you trained yourself or received from a source you
trust as much as the code you run. The header protects against accidents, not
attackers:

* a file that does not start with the magic string (any other joblib or
  pickle file, an image, ...) is refused without being unpickled;
* a truncated file, or one with any byte changed after it was written, fails
  the SHA-256 check and is refused without being unpickled;
* a file written by a newer format, or (with ``strict=True``) by other
  fer_classic or scikit-learn versions, is refused before unpickling;
  otherwise a version difference gives a :class:`ModelVersionWarning`.

The checksum is not a signature: anyone who can write the file can write a
matching header. To make sure a file is the one you expect (for example one
shared by a colleague), compare its SHA-256 (``sha256sum model.joblib``, or
``read_model_info(path)["file_sha256"]``) with the value received through a
trusted channel, or let :func:`load_model` do it with ``sha256=``.

The file is deliberately not a plain joblib file: ``joblib.load`` refuses it,
so it is never unpickled by accident without the checks.

Examples
--------
>>> import tempfile, pathlib
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from fer_classic.datasets import make_synthetic_faces
>>> from fer_classic.features import HOG
>>> from fer_classic.models.linear import LinearSVM
>>> data = make_synthetic_faces(n_per_class=10, random_state=0)
>>> X, y = data.get_split("Training")
>>> pipe = make_pipeline(HOG(), StandardScaler(), LinearSVM()).fit(X, y)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "hog.joblib"
>>> _ = save_model(pipe, path, data=data, name="hog-linearsvm")
>>> read_model_info(path)["label_names"][3]
'Happy'
>>> loaded = load_model(path)
>>> bool((loaded.predict(X) == pipe.predict(X)).all())
True
"""

import hashlib
import io
import json
import numbers
import os
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np

from . import EMOTIONS, FACE_SIZE, __version__
from .utils.fileio import atomic_write
from .utils.jsonable import environment, to_jsonable
from .utils.paths import model_dir
from .utils.scores import score_method

__all__ = [
    "MAGIC",
    "FORMAT_VERSION",
    "ModelFileError",
    "ModelVersionError",
    "ModelVersionWarning",
    "NoModelError",
    "save_model",
    "save_named_model",
    "array_bytes",
    "available_memory",
    "SHIPPED_MODEL_DIR",
    "shipped_model",
    "load_model",
    "read_model_info",
    "label_names_for",
    "score_method_of",
    "default_model_dir",
    "find_default_model",
    "TRAIN_DEFAULT_COMMAND",
    "PORTABLE_SUFFIX",
    "is_portable_path",
]

#: First bytes of every fer_classic model file.
MAGIC = b"FER_CLASSIC_MODEL/"
#: Version of the file layout written by :func:`save_model`.
FORMAT_VERSION = 1
#: Versions compared on load; a difference warns (or raises with ``strict``).
CHECKED_VERSIONS = ("fer_classic", "scikit-learn")

_FIRST_LINE = re.compile(
    rb"FER_CLASSIC_MODEL/(?P<version>\d{1,6}) sha256=(?P<sha256>[0-9a-f]{64}) "
    rb"header=(?P<header>\d{1,12}) payload=(?P<payload>\d{1,15})\n\Z"
)
_MAX_FIRST_LINE = 256
_MAX_HEADER = 16 * 2**20

#: Suffix of model files stored as JSON and arrays, without pickle
#: (:mod:`fer_classic.portable`); other files are joblib pickles.
PORTABLE_SUFFIX = ".model"
#: Name of the archive member holding the JSON description of the estimator.
_GRAPH = "__model__"


def is_portable_path(path):
    """Whether ``save_model`` writes ``path`` without pickle (its suffix is ``.model``)."""
    return Path(os.fspath(path)).suffix == PORTABLE_SUFFIX


#: The one command that trains a model and stores it where ``predict`` looks.
TRAIN_DEFAULT_COMMAND = (
    "python -m fer_classic.bench --data PATH/TO/fer2013 --pipelines hog-rbfsvm "
    "--save-models {directory}"
)


class ModelFileError(ValueError):
    """A file is not a fer_classic model, is damaged, or cannot be used.

    Raised before anything is unpickled whenever the file's header is
    missing, malformed or does not match its contents.
    """


class ModelVersionError(ModelFileError):
    """``strict=True`` and the model was saved by other library versions."""


class ModelVersionWarning(UserWarning):
    """The model was saved by other fer_classic or scikit-learn versions."""


class NoModelError(FileNotFoundError):
    """No usable saved model where :func:`find_default_model` looks."""


# --------------------------------------------------------------------------
# metadata helpers
# --------------------------------------------------------------------------


def label_names_for(classes):
    """Names of class labels: FER2013 ids 0..6 become :data:`fer_classic.EMOTIONS`.

    Parameters
    ----------
    classes : array-like
        The fitted ``classes_`` of a classifier.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> label_names_for([0, 3, 6])
    ['Angry', 'Happy', 'Neutral']
    >>> label_names_for(["cat", "dog"])
    ['cat', 'dog']
    """
    names = []
    for c in np.asarray(classes).tolist():
        if isinstance(c, numbers.Integral) and not isinstance(c, bool) \
                and 0 <= c < len(EMOTIONS):
            names.append(EMOTIONS[c])
        else:
            names.append(str(c))
    return names


def score_method_of(estimator):
    """How :class:`~fer_classic.faces.ExpressionPredictor` scores classes.

    The scores of :func:`~fer_classic.utils.scores.classifier_scores` (the
    rule mirror averaging and local learning follow), made to sum to 1:
    ``"softmax(decision_function)"`` if the estimator (for a pipeline: its
    last step) has ``decision_function``, else ``"predict_proba"``, else
    ``"one-hot"`` (the predicted class gets 1).

    Examples
    --------
    >>> from sklearn.svm import SVC
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> score_method_of(SVC(probability=True)), score_method_of(RandomForestClassifier())
    ('softmax(decision_function)', 'predict_proba')
    """
    method = score_method(estimator)
    if method == "decision_function":
        return "softmax(decision_function)"
    return method or "one-hot"


def _classes_of(estimator):
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise ValueError(
            f"{type(estimator).__name__} has no classes_: save_model() needs a fitted "
            "classifier (or a pipeline ending in one); call fit() first."
        )
    return np.asarray(classes)


def array_bytes(obj, _seen=None):
    """Bytes of the NumPy arrays (and sparse matrices) an estimator holds, nested ones too.

    About the memory a loaded model takes, and what ``find_default_model``
    compares with the memory available.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> array_bytes(StandardScaler().fit(np.zeros((3, 4))))  # mean_, var_, scale_
    96
    """
    from scipy import sparse

    seen = set() if _seen is None else _seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if sparse.issparse(obj):
        return sum(int(getattr(obj, a).nbytes) for a in ("data", "indices", "indptr")
                   if hasattr(obj, a))
    if isinstance(obj, dict):
        return sum(array_bytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(array_bytes(v, seen) for v in obj)
    if hasattr(obj, "get_params") and hasattr(obj, "__dict__"):
        return sum(array_bytes(v, seen) for v in vars(obj).values())
    return 0


def _describe(estimator):
    steps = getattr(estimator, "steps", None)
    if steps is None:
        return type(estimator).__name__
    return "Pipeline(" + ", ".join(f"{n}={type(s).__name__}" for n, s in steps) + ")"


def _scores_from(record):
    scores = {}
    for key, split in (("public", "PublicTest"), ("private", "PrivateTest")):
        value = record.get(key)
        if isinstance(value, dict):
            scores[split] = {k: value[k]
                             for k in ("accuracy", "macro_f1", "per_class_recall", "confusion")
                             if k in value}
    return scores


def _build_header(estimator, record, data, name):
    classes = _classes_of(estimator)
    record = dict(record or {})
    header = {
        "format": "fer_classic-model",
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "name": name if name is not None else record.get("name"),
        "description": record.get("description"),
        "estimator": _describe(estimator),
        "classes": classes.tolist(),
        "label_names": label_names_for(classes),
        "input": {"shape": [FACE_SIZE, FACE_SIZE], "dtype": "uint8",
                  "description": "grayscale faces, 0..255, as in FER2013"},
        "score_method": score_method_of(estimator),
        "versions": environment(),
        "training_data": None,
        "best_params": record.get("best_params"),
        "scores": _scores_from(record),
        "n_train": record.get("n_train"),
        "config": record.get("config"),
        "memory_bytes": array_bytes(estimator),
    }
    if data is not None:
        header["training_data"] = {
            "fingerprint": data.fingerprint(),
            "source": data.source,
            "synthetic": data.source == "synthetic",
            "path": None if data.path is None else str(data.path),
        }
    elif isinstance(record.get("config"), dict) and "fingerprint" in record["config"]:
        header["training_data"] = {"fingerprint": record["config"]["fingerprint"]}
    return to_jsonable(header)


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------


def save_model(estimator, path, *, record=None, data=None, name=None, compress=3):
    """Write a fitted estimator and its metadata to a fer_classic model file.

    The file is written to a temporary name and moved into place, so ``path``
    is never left half-written. See the module docstring for the layout and
    the trust model.

    Parameters
    ----------
    estimator : fitted classifier or Pipeline
        Normally a pipeline taking ``(n, 48, 48)`` uint8 faces; must have
        ``classes_`` and ``predict``.
    path : str or path-like
        Destination file (parent directories are created). The bench uses
        ``<pipeline name>.joblib``.
    record : dict, optional
        The bench's run record; ``name``, ``description``, ``best_params``,
        ``public``/``private`` scores, ``n_train`` and ``config`` are kept.
    data : fer_classic.datasets.FER2013, optional
        The data the model was trained on; its fingerprint, source and path
        are kept.
    name : str, optional
        Model name; defaults to ``record["name"]``.
    compress : int, default=3
        joblib (zlib) compression level, 0 for none.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If ``estimator`` is not a fitted classifier.
    """
    if not hasattr(estimator, "predict"):
        raise ValueError(f"save_model() needs a fitted classifier with predict(); got "
                         f"{type(estimator).__name__}.")
    header = _build_header(estimator, record, data, name)
    path = Path(os.path.expanduser(os.fspath(path)))
    if is_portable_path(path):
        from .portable import encode

        spec, arrays = encode(estimator)
        arrays[_GRAPH] = np.frombuffer(json.dumps(spec, sort_keys=True, allow_nan=False)
                                       .encode("ascii"), dtype=np.uint8)
        header["payload"] = {"serializer": "arrays"}

        def write_payload(fh):
            # straight into the file: no copy of the arrays in memory
            # (gigabytes for a local learner's training set)
            np.savez(fh, **arrays)
    else:
        buffer = io.BytesIO()
        joblib.dump(estimator, buffer, compress=compress)
        header["payload"] = {"serializer": "joblib", "compress": int(compress)}

        def write_payload(fh):
            fh.write(buffer.getbuffer())
    header_bytes = (json.dumps(header, ensure_ascii=True, sort_keys=True,
                               allow_nan=False) + "\n").encode("ascii")
    with atomic_write(path, "w+b") as fh:
        # the first line, with its checksum and sizes, is written last, over
        # a placeholder of the same length (sizes are zero-padded)
        fh.write(_first_line("0" * 64, len(header_bytes), 0))
        start = fh.tell()
        fh.write(header_bytes)
        write_payload(fh)
        n_payload = fh.tell() - start - len(header_bytes)
        fh.seek(start)
        digest = _stream_digest(fh, len(header_bytes) + n_payload)
        fh.seek(0)
        fh.write(_first_line(digest.hexdigest(), len(header_bytes), n_payload))
        fh.seek(0, os.SEEK_END)
    return path


def _first_line(sha256, n_header, n_payload):
    return (MAGIC + f"{FORMAT_VERSION} sha256={sha256} header={n_header:012d} "
            f"payload={n_payload:015d}\n".encode("ascii"))


def _stream_digest(fh, n_bytes, digest=None, chunk=2**24):
    """SHA-256 of the next ``n_bytes`` of ``fh``, read ``chunk`` bytes at a time."""
    digest = hashlib.sha256() if digest is None else digest
    left = n_bytes
    while left > 0:
        block = fh.read(min(chunk, left))
        if not block:
            break
        digest.update(block)
        left -= len(block)
    return digest


def save_named_model(estimator, directory, name, *, record=None, data=None):
    """Save ``estimator`` as ``<directory>/<name>.model`` if it can be, else as ``.joblib``.

    The arrays format (no pickle, :mod:`fer_classic.portable`) is used when
    every part of the estimator is one it can describe; otherwise the
    estimator is pickled. A file of the other format left under the same
    name by an earlier run is removed, so that ``directory`` holds one model
    per name.

    Returns
    -------
    path : pathlib.Path
        The file written.
    """
    from .portable import PortableError, encode

    directory = Path(os.path.expanduser(os.fspath(directory)))
    try:
        encode(estimator)
        suffix = PORTABLE_SUFFIX
    except PortableError:
        suffix = ".joblib"
    path = save_model(estimator, directory / f"{name}{suffix}", record=record, data=data,
                      name=name)
    for other in (PORTABLE_SUFFIX, ".joblib"):
        stale = directory / f"{name}{other}"
        if other != suffix and stale.exists():
            stale.unlink()
    return path


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------


def _read_checked(path):
    """Verify a model file; return ``(header, payload offset, payload size)``.

    The checksum is computed as the file is read, a block at a time: the
    payload is not held in memory. Nothing is unpickled here.
    """
    path = Path(os.path.expanduser(os.fspath(path)))
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory; expected a fer_classic model file "
                             "(.joblib written by save_model or bench --save-models).")
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file.") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc.strerror}).") from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        first = fh.readline(_MAX_FIRST_LINE)
        if not first.startswith(MAGIC):
            raise ModelFileError(
                f"{path}: not a fer_classic model file (it does not start with "
                f"{MAGIC.decode()!s}); refusing to unpickle it, because loading a joblib or "
                "pickle file runs code. If you trust the file, load it yourself with "
                "joblib.load()."
            )
        version = first[len(MAGIC):].split(b" ", 1)[0]
        if version.isdigit() and int(version) != FORMAT_VERSION:
            newer = int(version) > FORMAT_VERSION
            raise ModelFileError(
                f"{path}: written in model format {int(version)} by "
                f"{'a newer' if newer else 'an older'} fer_classic; this is fer_classic "
                f"{__version__}, which reads format {FORMAT_VERSION}. "
                + ("Upgrade fer_classic or re-train the model." if newer
                   else "Re-train the model.")
            )
        m = _FIRST_LINE.match(first)
        if m is None:
            raise ModelFileError(f"{path}: damaged fer_classic model file (malformed first "
                                 "line); refusing to unpickle it.")
        n_header, n_payload = int(m["header"]), int(m["payload"])
        expected = len(first) + n_header + n_payload
        if n_header > _MAX_HEADER or size != expected:
            raise ModelFileError(
                f"{path}: damaged fer_classic model file ({size} bytes, the header announces "
                f"{expected}): truncated or modified; refusing to unpickle it."
            )
        header_bytes = fh.read(n_header)
        digest = _stream_digest(fh, n_payload, hashlib.sha256(header_bytes))
        file_digest = hashlib.sha256(first)
        file_digest.update(header_bytes)
        fh.seek(len(first) + n_header)
        file_digest = _stream_digest(fh, n_payload, file_digest)
    if digest.hexdigest() != m["sha256"].decode():
        raise ModelFileError(
            f"{path}: SHA-256 check failed: the file was modified or corrupted after it was "
            "saved; refusing to unpickle it."
        )
    try:
        header = json.loads(header_bytes.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        header = None
    if not isinstance(header, dict) or header.get("format") != "fer_classic-model":
        raise ModelFileError(f"{path}: damaged fer_classic model file (unreadable "
                             "metadata); refusing to unpickle it.")
    header["file_sha256"] = file_digest.hexdigest()
    header["path"] = str(path)
    return header, len(first) + n_header, n_payload


def read_model_info(path):
    """Metadata of a model file, checked (magic, sizes, SHA-256) but not unpickled.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    info : dict
        The header written by :func:`save_model` (``name``, ``versions``,
        ``classes``, ``label_names``, ``training_data``, ``best_params``,
        ``scores``, ``score_method``, ...) plus ``path`` and ``file_sha256``
        (the SHA-256 of the whole file, as ``sha256sum`` prints it).

    Raises
    ------
    ModelFileError
        If the file is missing, not a fer_classic model, or damaged.
    """
    return _read_checked(path)[0]


def run_kind(info):
    """``"QUICK run, SYNTHETIC data"``, ``"QUICK run"``, ... or ``""`` for a full FER2013 run."""
    kinds = []
    if (info.get("config") or {}).get("quick"):
        kinds.append("QUICK run")
    if (info.get("training_data") or {}).get("synthetic"):
        kinds.append("SYNTHETIC data")
    return ", ".join(kinds)


def describe_model(info):
    """A few lines a person reads first about a model (the full metadata is JSON).

    Parameters
    ----------
    info : dict
        :func:`read_model_info`'s metadata.

    Returns
    -------
    text : str
        Name, file, how it scored (with 95 % intervals) and on what it was
        trained, and what it needs to run.
    """
    from .significance import accuracy_interval

    def score(split):
        entry = (info.get("scores") or {}).get(split) or {}
        confusion = np.asarray(entry.get("confusion") or [])
        if "accuracy" not in entry:
            return "unknown"
        text = f"{100 * entry['accuracy']:.2f} %"
        if confusion.ndim == 2 and confusion.sum():
            lo, hi = accuracy_interval(int(np.trace(confusion)), int(confusion.sum()))
            n = int(confusion.sum())
            text += f" (95 % interval {100 * lo:.1f}-{100 * hi:.1f}, {n:,} faces)"
        return text

    data = info.get("training_data") or {}
    kind = run_kind(info)
    n_train = info.get("n_train")
    trained = ("synthetic faces" if data.get("synthetic")
               else f"FER2013 ({data.get('source', '?')})")
    if isinstance(n_train, int):
        trained += f", {n_train:,} training images"
    settings = ", ".join(f"{k}={v}" for k, v in (info.get("best_params") or {}).items())
    versions = info.get("versions") or {}
    lines = [
        f"model:       {info.get('name') or 'unnamed'}" + (f"  [{kind}]" if kind else ""),
        f"file:        {info.get('path')}",
        f"PrivateTest: {score('PrivateTest')}",
        f"PublicTest:  {score('PublicTest')}",
        f"trained on:  {trained}",
        f"settings:    {settings or '-'}",
        f"scores:      {info.get('score_method', '?')}",
        f"needs:       {info.get('memory_bytes', 0) / 2**20:,.1f} MB of memory; input "
        f"{(info.get('input') or {}).get('description', '48x48 grayscale faces')}",
        f"created:     {info.get('created_at', '?')} with fer_classic "
        f"{versions.get('fer_classic', '?')}",
    ]
    if info.get("description"):
        lines.append(f"pipeline:    {info['description']}")
    return "\n".join(lines)


def _version_problems(info):
    saved = info.get("versions") or {}
    current = environment()
    return [f"{key} {saved.get(key)} (this is {current[key]})"
            for key in CHECKED_VERSIONS if saved.get(key) != current[key]]


def load_model(path, *, strict=False, sha256=None, return_info=False):
    """Load a model written by :func:`save_model`, checking it before unpickling.

    **Security:** a joblib model file is unpickled, which runs code chosen by
    whoever wrote it: only load those you trained or got from a source you
    trust; the checks below catch foreign, damaged and mismatched files, not
    a deliberately forged one (see the module docstring). An arrays model
    (``.model``) is read with ``numpy.load(allow_pickle=False)`` and builds
    only trusted classes.

    Checks, in order, all before unpickling: the magic string and format
    version; the size and the SHA-256 of the contents; ``sha256`` if given;
    the fer_classic and scikit-learn versions the model was saved with. After
    unpickling, the object must have ``predict`` and the saved ``classes_``.

    Parameters
    ----------
    path : str or path-like
        The model file.
    strict : bool, default=False
        Raise :class:`ModelVersionError` if the model was saved with another
        fer_classic or scikit-learn version. By default a
        :class:`ModelVersionWarning` is issued and the model is loaded
        (scikit-learn does not guarantee that pickles work across versions;
        predictions may differ or loading may fail).
    sha256 : str, optional
        Expected SHA-256 of the whole file (``sha256sum`` output); a
        different file is refused before unpickling.
    return_info : bool, default=False
        Also return the metadata (as :func:`read_model_info`).

    Returns
    -------
    estimator : fitted estimator
    info : dict
        Only when ``return_info=True``.

    Raises
    ------
    ModelFileError
        If the file is missing, not a fer_classic model, damaged, does not
        match ``sha256``, or does not hold a classifier.
    ModelVersionError
        If ``strict`` and the versions differ.
    """
    header, offset, n_payload = _read_checked(path)
    where = header["path"]
    if sha256 is not None and str(sha256).strip().lower() != header["file_sha256"]:
        raise ModelFileError(
            f"{where}: SHA-256 is {header['file_sha256']}, expected {sha256}; refusing to "
            "unpickle it."
        )
    problems = _version_problems(header)
    if problems:
        message = (f"{where} was saved with " + ", ".join(problems)
                   + ". Pickled scikit-learn models are only guaranteed to work with the "
                   "versions that saved them; re-train it (python -m fer_classic.bench ... "
                   "--save-models DIR) if predictions look wrong.")
        if strict:
            raise ModelVersionError(message)
        warnings.warn(message, ModelVersionWarning, stacklevel=2)
    if (header.get("payload") or {}).get("serializer") == "arrays":
        estimator = _load_arrays(where, offset, n_payload)
    else:
        with open(where, "rb") as fh:
            fh.seek(offset)
            payload = fh.read(n_payload)
        try:
            estimator = joblib.load(io.BytesIO(payload))
        except Exception as exc:  # e.g. a class that no longer exists in this version
            raise ModelFileError(f"{where}: could not unpickle the model "
                                 f"({type(exc).__name__}: {exc}).") from exc
    classes = getattr(estimator, "classes_", None)
    if not hasattr(estimator, "predict") or classes is None \
            or np.asarray(classes).tolist() != header.get("classes"):
        raise ModelFileError(f"{where}: the stored object is not the classifier its header "
                             "describes.")
    return (estimator, header) if return_info else estimator


def _load_arrays(where, offset, n_payload):
    """The estimator of an arrays payload: JSON and ``.npy`` arrays, no pickle.

    The arrays are read from the file one by one (the ``.npz`` archive
    follows the header; ``zipfile`` finds it after the bytes before it).
    """
    from .portable import PortableError, decode, read_npz

    try:
        with open(where, "rb") as fh:
            arrays = read_npz(fh)
        spec = json.loads(arrays.pop(_GRAPH).tobytes().decode("ascii"))
        return decode(spec, arrays)
    except (PortableError, KeyError, ValueError, TypeError, OSError) as exc:
        raise ModelFileError(f"{where}: could not read the model's arrays "
                             f"({type(exc).__name__}: {exc}).") from exc


# --------------------------------------------------------------------------
# the default model
# --------------------------------------------------------------------------


def default_model_dir():
    """Where ``python -m fer_classic.predict`` looks for a model by default.

    ``get_cache_dir() / "models"``, i.e. ``~/.cache/fer_classic/models``
    unless ``FER_CLASSIC_CACHE`` or ``XDG_CACHE_HOME`` say otherwise.
    """
    return model_dir()


def _public_accuracy(info):
    try:
        return float(info["scores"]["PublicTest"]["accuracy"])
    except (KeyError, TypeError, ValueError):
        return float("-inf")


def available_memory():
    """Bytes of memory this machine can give a new model now, or None if unknown.

    Linux's ``MemAvailable``, else the free physical pages.
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


#: Where the model installed with fer_classic lies: the one ``.model`` file
#: there, which ``predict`` uses when the user has trained none (built by the
#: command in ``benchmarks/results/shipped/RUN.md``).
SHIPPED_MODEL_DIR = Path(__file__).parent / "data"


def shipped_model():
    """The model file installed with fer_classic, or None if there is none."""
    files = sorted(SHIPPED_MODEL_DIR.glob(f"*{PORTABLE_SUFFIX}"))
    return files[0] if files else None


#: Memory a model needs besides its arrays (predicting, the interpreter).
_MEMORY_HEADROOM = 256 * 2**20


def _memory_needed(info, path):
    recorded = info.get("memory_bytes")
    if isinstance(recorded, int) and recorded >= 0:
        return recorded + _MEMORY_HEADROOM
    # older files: a joblib payload is compressed, by up to about half
    return 2 * path.stat().st_size + _MEMORY_HEADROOM


def _fits(info, path, memory):
    return memory is None or _memory_needed(info, path) <= memory


def _gb(n):
    return f"{n / 2**30:.1f} GB"


def find_default_model(directory=None, *, shipped="installed", memory="auto",
                       return_reason=False):
    """The model ``predict`` uses when none is given, and why.

    In order:

    1. ``default.model`` or ``default.joblib`` in ``directory`` (default
       :func:`default_model_dir`), the user's own choice;
    2. else, among the valid model files there (``*.model``, ``*.joblib``)
       trained on real (not synthetic) data, the one with the best
       **PublicTest** accuracy (the challenge's validation split;
       PrivateTest is never used to choose);
    3. else ``shipped``, the model installed with fer_classic.

    A model whose arrays would not fit in ``memory`` (with some headroom) is
    passed over, and the reason says so: local-learning models keep their
    training set, gigabytes for Fisher vectors.

    Parameters
    ----------
    directory : str or path-like, optional
    shipped : path-like, None or 'installed', default='installed'
        The last resort: ``'installed'`` is :func:`shipped_model`; None for none.
    memory : int, None or 'auto', default='auto'
        Bytes available: ``'auto'`` reads :func:`available_memory`; None
        checks nothing.
    return_reason : bool, default=False
        Also return one sentence saying why this model was chosen.

    Returns
    -------
    path : pathlib.Path
    reason : str
        Only with ``return_reason``.

    Raises
    ------
    NoModelError
        If there is no usable model; the message gives the command that
        trains one.
    """
    directory = Path(directory) if directory is not None else default_model_dir()
    memory = available_memory() if memory == "auto" else memory
    shipped = shipped_model() if shipped == "installed" else shipped
    candidates, skipped = [], []
    files = []
    if directory.is_dir():
        files = sorted(p for p in directory.iterdir()
                       if p.suffix in (PORTABLE_SUFFIX, ".joblib") and p.is_file())
    for path in files:
        try:
            info = read_model_info(path)
        except ModelFileError:
            skipped.append(f"{path.name} (not a valid model file)")
            continue
        if not _fits(info, path, memory):
            skipped.append(f"{path.name} (needs {_gb(_memory_needed(info, path))}, "
                           f"{_gb(memory)} available)")
            continue
        if path.stem == "default":
            return _answer(path, f"{path.name} in {directory}", return_reason)
        if (info.get("training_data") or {}).get("synthetic"):
            skipped.append(f"{path.name} (trained on synthetic faces)")
            continue
        # ties: the arrays format first (it loads without running code), then the name
        candidates.append((_public_accuracy(info), path.suffix == PORTABLE_SUFFIX,
                           path.name, path))
    note = f"; passed over: {', '.join(skipped)}" if skipped else ""
    if candidates:
        acc, _, _, path = max(candidates, key=lambda c: c[:3])
        return _answer(path, f"the best PublicTest accuracy ({100 * acc:.2f} %) of the "
                             f"models in {directory}{note}", return_reason)
    if shipped is not None and Path(shipped).is_file():
        return _answer(Path(shipped), f"the model installed with fer_classic (no model of "
                                      f"your own in {directory}{note})", return_reason)
    raise NoModelError(
        f"no trained model in {directory}{note}. Train one on FER2013 with\n  "
        + TRAIN_DEFAULT_COMMAND.format(directory=directory)
        + "\nor pass --model FILE."
    )


def _answer(path, reason, return_reason):
    return (path, reason) if return_reason else path
