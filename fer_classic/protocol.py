"""The FER2013 challenge protocol: search on PublicTest, report PrivateTest.

The 2013 challenge gave its entrants the Training split to fit on and the
PublicTest split as a public leaderboard; the final ranking used PrivateTest.
:func:`run_protocol` follows that protocol for any scikit-learn pipeline:

1. every candidate of the parameter grid is fitted on Training and scored on
   PublicTest (one held-out fold, as ``GridSearchCV`` with a
   ``PredefinedSplit`` would do);
2. the best candidate -- already fitted on Training, so no refit is needed --
   is scored once on PublicTest and PrivateTest.

Feature extraction is the expensive, shared part of most grids, so the
pipeline is split in two: every step but the last is the *feature* part,
the last step is the *classifier*. Candidates that share their feature
parameters share one feature extraction, which is cached on disk under a
key made of the data fingerprint and the feature parameters, so a re-run
with another classifier does not recompute it. The cached matrices are
written a block of faces at a time and read back memory-mapped
(:mod:`fer_classic.utils.matrix_store`): the estimators that stream over
them release the pages they have read, so that a run holds a few blocks of
the Training Fisher vectors rather than all 3.9 GB of them.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from joblib import Memory, Parallel, delayed
from scipy import sparse
from sklearn import config_context
from sklearn.base import clone
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import Pipeline

from . import EMOTIONS, SPLITS
from .datasets.augment import mirror_faces
from .distributed import scatter_arrays
from .models.cached import CachedClassifier
from .models.mirror import MirrorClassifier, predict_mirror_averaged
from .significance import accuracy_interval
from .utils.matrix_store import EntryWriter, MemoryEntry, read_entry
from .utils.progress import log, progress, progress_enabled, show_progress

__all__ = ["ProtocolResult", "score_predictions", "run_protocol", "split_params",
           "compute_features", "accuracy_interval"]


def score_predictions(y_true, y_pred, *, n_classes=len(EMOTIONS)):
    """Accuracy, macro-F1, per-class recall and confusion matrix.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels in ``0 .. n_classes - 1``.
    n_classes : int, default=7
        Number of classes; every class gets a row and column in the
        confusion matrix even when absent from ``y_true``.

    Returns
    -------
    scores : dict
        ``accuracy`` and ``macro_f1`` (floats in [0, 1]),
        ``accuracy_interval`` (its Wilson 95 % interval, see
        :func:`~fer_classic.significance.accuracy_interval`),
        ``per_class_recall`` (list of floats, ``None`` for a class absent from
        ``y_true``) and ``confusion`` (list of lists of int, rows are true
        labels).

    Examples
    --------
    >>> s = score_predictions([0, 1, 1], [0, 1, 0], n_classes=2)
    >>> round(s["accuracy"], 3), s["confusion"]
    (0.667, [[1, 0], [1, 1]])
    >>> [round(x, 3) for x in s["accuracy_interval"]]
    [0.208, 0.939]
    """
    labels = np.arange(n_classes)
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    present = np.isin(labels, y_true)
    recall = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    correct = int(np.sum(y_true == y_pred))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "accuracy_interval": list(accuracy_interval(correct, len(y_true))),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels[present], average="macro", zero_division=0)
        ),
        "per_class_recall": [float(r) if p else None for r, p in zip(recall, present)],
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def split_params(params, classifier_name):
    """Split grid parameters into (feature params, classifier params).

    Parameters whose name starts with ``"<classifier_name>__"`` belong to the
    last pipeline step; all others configure the feature steps.

    Examples
    --------
    >>> split_params({"hog__orientations": 9, "svm__C": 1.0}, "svm")
    ({'hog__orientations': 9}, {'svm__C': 1.0})
    """
    prefix = classifier_name + "__"
    feat = {k: v for k, v in params.items() if not k.startswith(prefix)}
    clf = {k: v for k, v in params.items() if k.startswith(prefix)}
    return feat, clf


@dataclass
class ProtocolResult:
    """What :func:`run_protocol` measured for one pipeline.

    Attributes
    ----------
    best_params : dict
        Grid parameters of the candidate with the best PublicTest accuracy.
    public, private : dict
        :func:`score_predictions` of the best candidate on PublicTest and
        PrivateTest.
    search : list of dict
        One entry per candidate: ``params``, ``public_accuracy``, ``fit_time``.
    timings : dict
        Seconds: ``features`` (feature fit + transform of the three splits
        for the chosen feature parameters, as measured when they were
        computed, also when they are read back from the cache),
        ``fit`` (classifier fit of the best candidate), ``predict``
        (classifier prediction on PrivateTest), ``search`` (whole search wall time).
    n_train : int
        Number of faces the classifier was fitted on (twice the Training
        split with ``mirror_train``).
    estimator : sklearn.pipeline.Pipeline or MirrorClassifier
        The best pipeline, fitted on Training, ready for ``predict`` on faces;
        with ``mirror_test``, wrapped in a
        :class:`~fer_classic.models.MirrorClassifier` that averages each
        face's scores with its mirror image's, as the protocol scored them.
    predictions : dict
        ``"PublicTest"`` and ``"PrivateTest"``: the best candidate's predicted
        labels, face by face (what a saved copy of ``estimator`` must give).
    """

    best_params: dict
    public: dict
    private: dict
    search: list
    timings: dict
    n_train: int
    estimator: Pipeline = field(repr=False)
    predictions: dict = field(default_factory=dict, repr=False)


#: Faces per transform call when dense features are written block by block:
#: a multiple of the extractors' own chunks (64 faces, e.g. FisherVector's
#: ``chunk_size``), so that every face's features are computed as in one call.
_FACE_BLOCK = 4096

#: Part of every feature cache key: change it when what an entry holds changes.
_STORE_KEY = "protocol-features-1"


def _all_finite(matrix):
    values = matrix.data if sparse.issparse(matrix) else matrix
    return bool(np.isfinite(values).all()) if np.issubdtype(values.dtype, np.inexact) else True


def _transform_into(entry, features, faces, desc):
    """Transform ``faces`` into the next matrix of ``entry``; whether every value is finite.

    Dense features are computed and written a block of faces at a time (a
    cache entry then never holds the whole matrix in memory); sparse ones
    in one call.
    """
    probe = features.transform(faces[:1]) if len(faces) > _FACE_BLOCK else None
    if not isinstance(probe, np.ndarray):  # a few faces, or sparse features
        matrix = features.transform(faces)
        entry.add(matrix)
        return _all_finite(matrix)
    finite = True
    bar = progress(total=len(faces), desc=desc, unit="face", disable=not progress_enabled())
    with entry.writer(len(faces), probe.shape[1:], probe.dtype) as out, bar:
        for start in range(0, len(faces), _FACE_BLOCK):
            with show_progress(False):
                block = features.transform(faces[start:start + _FACE_BLOCK])
            finite = finite and _all_finite(block)
            out.write(block)
            bar.update(len(block))
    return finite


def _fit_transform_features(features, splits, entry, mirror_train=False, mirror_test=False):
    """Fit the feature steps on Training and transform the three splits into ``entry``.

    ``entry`` (a :class:`~fer_classic.utils.matrix_store.EntryWriter` or
    :class:`~fer_classic.utils.matrix_store.MemoryEntry`) receives the
    matrices in order. With ``mirror_train``, the features of the mirrored
    Training faces are stacked below those of the Training faces (the
    feature steps are fitted on the Training faces only). With
    ``mirror_test``, the features of the mirrored PublicTest and
    PrivateTest faces follow the three matrices. Returns ``(fitted
    features, seconds, whether every value is finite)``.
    """
    t0 = time.perf_counter()
    X_train, y_train = splits[0]
    if mirror_train:
        # fitted on the Training faces, then the faces and their mirror
        # images transformed as one matrix (the features are computed face
        # by face, so this equals transforming the halves apart)
        features.fit(X_train, y_train)
        finite = _transform_into(entry, features, np.concatenate(
            [X_train, mirror_faces(X_train)]), "Training features")
    else:
        F_train = features.fit_transform(X_train, y_train)
        entry.add(F_train)
        finite = _all_finite(F_train)
        del F_train
    others = [(X, f"{s} features") for (X, _), s in zip(splits[1:], SPLITS[1:])]
    if mirror_test:
        others += [(mirror_faces(X), f"{s} mirrored features")
                   for (X, _), s in zip(splits[1:], SPLITS[1:])]
    for X, desc in others:
        finite = _transform_into(entry, features, X, desc) and finite
    return features, time.perf_counter() - t0, finite


def _stored_features(mem, features, data_key, ordered, mirror_train, mirror_test):
    """``(fitted features, matrices, seconds, finite)`` from the cache, computed if absent.

    The entry's key hashes the unfitted feature steps, ``data_key`` (which
    identifies the faces: hashing them would cost more than reading the
    cache) and the mirroring; its dense matrices come back memory-mapped.
    """
    key = joblib.hash((_STORE_KEY, features, data_key, mirror_train, mirror_test))
    path = Path(mem.location) / "matrices" / key
    entry = read_entry(path)
    if entry is None:
        with EntryWriter(path) as writer:
            fitted, seconds, finite = _fit_transform_features(features, ordered, writer,
                                                              mirror_train, mirror_test)
            writer.finish(fitted, meta={"seconds": seconds, "finite": finite})
        del fitted
        entry = read_entry(path)
        if entry is None:
            raise RuntimeError(f"the feature cache entry {path}, just written, could not be "
                               "read back (see the warning above).")
    fitted, matrices, meta = entry
    return fitted, matrices, meta["seconds"], meta["finite"]


def _ordered_splits(splits):
    missing = [s for s in SPLITS if s not in splits]
    if missing:
        raise ValueError(f"splits is missing {missing}; expected keys {list(SPLITS)}.")
    return [splits[s] for s in SPLITS]


def _memory(memory, data_key):
    if isinstance(memory, Memory):
        return memory
    if memory is not None and data_key is not None:
        return Memory(location=str(memory), verbose=0)
    return None


def _features(features, ordered, data_key, mem, mirror_train, mirror_test, verbose):
    """``(fitted feature steps or None, matrices, seconds, finite)`` for the three splits.

    ``finite``: whether every value of the matrices is known to be finite
    (the classifiers may then skip their own check, which reads every page
    of a memory-mapped matrix).
    """
    if features is None:  # the classifier reads the inputs as they are
        F_all = [F for F, _ in ordered]
        if mirror_train:
            F_all[0] = np.concatenate([F_all[0], mirror_faces(F_all[0])])
        if mirror_test:
            F_all += [mirror_faces(F) for F in F_all[1:3]]
        return None, F_all, 0.0, False
    with show_progress(verbose):
        if mem is None or mem.location is None:
            entry = MemoryEntry()
            fitted, seconds, finite = _fit_transform_features(features, ordered, entry,
                                                              mirror_train, mirror_test)
            return fitted, entry.matrices, seconds, finite
        return _stored_features(mem, features, data_key, ordered, mirror_train, mirror_test)


def compute_features(pipeline, splits, *, data_key=None, memory=None, mirror_train=False,
                     mirror_test=False, verbose=False, return_fitted=False):
    """Features of the three splits from a pipeline's feature steps, as the protocol sees them.

    The steps before the classifier are fitted on Training and transform
    every split, through the same on-disk cache as :func:`run_protocol`:
    with the same ``data_key`` and ``memory``, a pipeline that a bench run
    has scored costs no feature extraction here.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Feature steps followed by a classifier (which is not used).
    splits, data_key, memory, mirror_train, mirror_test, verbose
        As for :func:`run_protocol`.
    return_fitted : bool, default=False
        Also return the feature steps as fitted on Training (read from the
        cache with the matrices), e.g. to transform more faces alike.

    Returns
    -------
    features : dict
        ``"Training"`` (with ``mirror_train``, the mirror images' features
        stacked below), ``"PublicTest"``, ``"PrivateTest"`` and, with
        ``mirror_test``, ``"PublicTest mirrored"`` and ``"PrivateTest
        mirrored"``.
    fitted : sklearn.pipeline.Pipeline
        The fitted feature steps; only with ``return_fitted``, as
        ``(fitted, features)``.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> from fer_classic.datasets import make_synthetic_faces
    >>> from fer_classic.features import HOG
    >>> data = make_synthetic_faces(n_per_class=5, random_state=0)
    >>> splits = {s: data.get_split(s) for s in ("Training", "PublicTest", "PrivateTest")}
    >>> F = compute_features(make_pipeline(HOG(), LogisticRegression()), splits,
    ...                      mirror_train=True, verbose=False)
    >>> F["Training"].shape[0] == 2 * len(splits["Training"][1])
    True
    """
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) < 2:
        raise TypeError("pipeline must be a sklearn Pipeline with feature steps before its "
                        "classifier.")
    ordered = _ordered_splits(splits)
    features = Pipeline(clone(pipeline).steps[:-1])
    fitted, F_all, _, _ = _features(features, ordered, data_key, _memory(memory, data_key),
                                    mirror_train, mirror_test, verbose)
    names = list(SPLITS) + ([f"{s} mirrored" for s in SPLITS[1:]] if mirror_test else [])
    F = dict(zip(names, F_all))
    return (fitted, F) if return_fitted else F


def _with_memory(classifier, mem):
    """``classifier`` with ``mem`` given to each :class:`CachedClassifier` in it without one.

    Nested ones too (a local learner's ``global_estimator``, say): they then
    cache their fits beside the features.
    """
    if mem is None:
        return classifier
    params = classifier.get_params(deep=True)
    unset = []
    for key, value in params.items():
        owner, _, name = key.rpartition("__")
        if name == "memory" and value is None and isinstance(
                params[owner] if owner else classifier, CachedClassifier):
            unset.append(key)
    return clone(classifier).set_params(**dict.fromkeys(unset, mem)) if unset else classifier


def _predict(est, F, F_mirrored):
    """Labels of features ``F``; with ``F_mirrored``, as MirrorClassifier predicts faces."""
    if F_mirrored is None:
        return est.predict(F)
    return predict_mirror_averaged(est, F, F_mirrored)


def _fit_score(classifier, params, F_train, y_train, F_public, y_public, F_public_mirrored,
               verbose=False, finite=False):
    # runs in a worker thread: the progress and scikit-learn settings are
    # set here, not inherited; features known to be finite are not checked
    # again (a check reads every page of a memory-mapped matrix)
    with show_progress(verbose), config_context(assume_finite=finite or None):
        est = clone(classifier).set_params(**params)
        t0 = time.perf_counter()
        est.fit(F_train, y_train)
        fit_time = time.perf_counter() - t0
        pred_public = _predict(est, F_public, F_public_mirrored)
    return est, float(accuracy_score(y_public, pred_public)), fit_time, pred_public


def _blas_policy(n_jobs, n_candidates):
    """BLAS on one thread while candidates are fitted side by side in threads.

    The process has one BLAS thread count, and OpenBLAS ignores a change
    asked from another thread once the main thread has set it (seen with
    OpenBLAS 0.3.31): an estimator's own ``threadpool_limits`` inside a
    worker thread may do nothing, and its BLAS would run on as many threads
    as the main thread last set. So the limit is set here, in the calling
    thread, for the whole parallel section; candidates fitted one at a time
    run in this thread, where their own limits work.
    """
    from joblib import effective_n_jobs
    from threadpoolctl import threadpool_limits

    parallel = n_candidates > 1 and effective_n_jobs(n_jobs) > 1
    return threadpool_limits(limits=1 if parallel else None, user_api="blas")


def _group_candidates(candidates, clf_name):
    """Return the candidates grouped by their feature parameters: one extraction per group.

    Maps a key of the feature parameters to ``(feature params, [(params,
    classifier params), ...])``, in the order of ``candidates``.
    """
    groups = {}
    for params in candidates:
        feat, clf = split_params(params, clf_name)
        groups.setdefault(repr(sorted(feat.items())), (feat, []))[1].append((params, clf))
    return groups


def _fit_group(classifier, clf_name, members, F_all, y_train, y_public, mirror_test, n_jobs,
               name, verbose, finite):
    """Fit the candidates of one feature group on Training and score them on PublicTest.

    Yields ``(params, fitted classifier, PublicTest accuracy, fit seconds,
    PublicTest predictions)`` per candidate, in the order of ``members``.
    """
    F_train, F_public = F_all[:2]
    F_public_m = F_all[3] if mirror_test else None
    if verbose:
        what = (f"{len(members)} candidates" if len(members) > 1
                else "the classifier (one setting, no search)")
        log(f"[{name}] fitting {what} on {F_train.shape} features")
    jobs = (
        delayed(_fit_score)(
            classifier,
            {k[len(clf_name) + 2:]: v for k, v in clf.items()},
            F_train, y_train, F_public, y_public, F_public_m, verbose, finite,
        )
        for _, clf in members
    )
    # on a Dask backend, ship the features to the workers once, not per task
    shared = [F_train, y_train, F_public, y_public, F_public_m]
    with scatter_arrays(*(a for a in shared if a is not None)), \
            _blas_policy(n_jobs, len(members)):
        outs = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(jobs)
        for (params, _), out in zip(
            members, progress(outs, total=len(members), desc=name, disable=not verbose)
        ):
            yield (params, *out)


def _final_estimator(features, clf_name, est, mirror_train, mirror_test):
    """Return the fitted feature steps and classifier as the estimator the protocol scored."""
    steps = (list(features.steps) if features is not None else []) + [(clf_name, est)]
    final = Pipeline(steps)
    if mirror_test:
        final = MirrorClassifier.from_fitted(final, mirror_train=mirror_train, mirror_test=True)
    return final


def _log_result(name, result):
    """Log the best parameters and the PublicTest and PrivateTest accuracies."""
    chosen = f"best {result.best_params}" if len(result.search) > 1 else "scored"
    log(f"[{name}] {chosen}: PublicTest "
        f"{100 * result.public['accuracy']:.2f} %, PrivateTest "
        f"{100 * result.private['accuracy']:.2f} %")


def run_protocol(
    pipeline,
    param_grid,
    splits,
    *,
    data_key=None,
    memory=None,
    n_jobs=None,
    verbose=False,
    name=None,
    mirror_train=False,
    mirror_test=False,
    n_classes=len(EMOTIONS),
):
    """Grid-search a pipeline on Training/PublicTest and score on PrivateTest.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Feature steps followed by a classifier as the last step.
    param_grid : dict or list of dict
        Grid over pipeline parameters (``"<step>__<param>"``), as for
        :class:`~sklearn.model_selection.GridSearchCV`. An empty dict means
        a single candidate with the pipeline's own parameters.
    splits : dict
        ``{"Training": (X, y), "PublicTest": (X, y), "PrivateTest": (X, y)}``.
    data_key : str, optional
        A fingerprint of ``splits`` (see ``FER2013.fingerprint``). Features
        are cached on disk only when both ``data_key`` and ``memory`` are given.
    memory : str, pathlib.Path or joblib.Memory, optional
        Where to cache feature matrices. Also given to every
        :class:`~fer_classic.models.CachedClassifier` in the classifier
        (nested ones too) whose ``memory`` is None, which then caches its fit
        there (only when ``data_key`` is given, as for the features).
    n_jobs : int, optional
        Candidates fitted in parallel (joblib semantics), in threads unless a
        backend is set with :func:`joblib.parallel_config` (e.g. Dask): the
        solvers spend their time in NumPy and libsvm, which release the GIL,
        and threads share the feature matrices instead of copying them to
        worker processes.
    verbose : bool, default=False
        Print progress.
    name : str, optional
        Label used in progress messages.
    mirror_train : bool, default=False
        Also fit the classifier on the left-right mirrored Training faces
        (:func:`~fer_classic.datasets.mirror_faces`), with their labels. The
        feature steps are fitted on the Training faces alone. PublicTest and
        PrivateTest faces are mirrored only with ``mirror_test``.
    mirror_test : bool, default=False
        Score each PublicTest and PrivateTest face by the mean of the
        classifier's scores (``decision_function``, else ``predict_proba``)
        for the face and for its mirror image: the features of the mirror
        images are extracted once per feature setting and scored with
        :func:`~fer_classic.models.predict_mirror_averaged`. The returned
        estimator is then the fitted pipeline wrapped by
        :meth:`MirrorClassifier.from_fitted
        <fer_classic.models.MirrorClassifier.from_fitted>`, whose ``predict``
        on faces goes through the same function.
    n_classes : int, default=7
        Number of classes of the labels (8 for the FER+ labels), for the
        confusion matrices and per-class recalls.

    Returns
    -------
    result : ProtocolResult

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> from fer_classic.datasets import make_synthetic_faces
    >>> data = make_synthetic_faces(n_per_class=20, random_state=0)
    >>> splits = {s: data.get_split(s) for s in ("Training", "PublicTest", "PrivateTest")}
    >>> splits = {s: (X.reshape(len(X), -1) / 255.0, y) for s, (X, y) in splits.items()}
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=200))
    >>> res = run_protocol(pipe, {"logisticregression__C": [0.1, 1.0]}, splits, verbose=False)
    >>> sorted(res.best_params)
    ['logisticregression__C']
    """
    ordered = _ordered_splits(splits)
    if not isinstance(pipeline, Pipeline):
        raise TypeError(f"pipeline must be a sklearn Pipeline; got {type(pipeline).__name__}.")
    name = name or "pipeline"
    clf_name, classifier = pipeline.steps[-1]
    features = Pipeline(clone(pipeline).steps[:-1]) if len(pipeline.steps) > 1 else None
    candidates = list(ParameterGrid(param_grid if param_grid else {}))
    y_train, y_public, y_private = (y for _, y in ordered)
    if mirror_train:
        y_train = np.concatenate([y_train, y_train])

    mem = _memory(memory, data_key)
    classifier = _with_memory(classifier, mem)
    groups = _group_candidates(candidates, clf_name)

    t_search = time.perf_counter()
    search, best = [], None
    for g, (feat_params, members) in enumerate(groups.values()):
        if verbose and features is not None:
            log(f"[{name}] features {g + 1}/{len(groups)} "
                f"{feat_params or ''} on {sum(len(X) for X, _ in ordered)} faces")
        feats = None if features is None else clone(features).set_params(**feat_params)
        fitted, F_all, feat_time, finite = _features(feats, ordered, data_key, mem,
                                                     mirror_train, mirror_test, verbose)
        F_private, F_private_m = F_all[2], (F_all[4] if mirror_test else None)
        for params, est, acc, fit_time, pred_public in _fit_group(
                classifier, clf_name, members, F_all, y_train, y_public, mirror_test, n_jobs,
                name, verbose, finite):
            search.append({"params": params, "public_accuracy": acc, "fit_time": fit_time})
            if best is None or acc > best["acc"]:
                best = {"acc": acc, "params": params, "est": est, "fit_time": fit_time,
                        "features": fitted, "feat_time": feat_time,
                        "pred_public": pred_public, "F_private": F_private,
                        "F_private_m": F_private_m, "finite": finite}
    search_time = time.perf_counter() - t_search

    est = best["est"]
    pred_public = best["pred_public"]  # kept from the search: local learning is costly
    t0 = time.perf_counter()
    with show_progress(verbose), config_context(assume_finite=best["finite"] or None):
        pred_private = _predict(est, best["F_private"], best["F_private_m"])
    predict_time = time.perf_counter() - t0
    result = ProtocolResult(
        best_params=best["params"],
        public=score_predictions(y_public, pred_public, n_classes=n_classes),
        private=score_predictions(y_private, pred_private, n_classes=n_classes),
        search=search,
        timings={"features": best["feat_time"], "fit": best["fit_time"],
                 "predict": predict_time, "search": search_time},
        n_train=len(y_train),
        estimator=_final_estimator(best["features"], clf_name, est, mirror_train, mirror_test),
        predictions={"PublicTest": np.asarray(pred_public),
                     "PrivateTest": np.asarray(pred_private)},
    )
    if verbose:
        _log_result(name, result)
    return result
