"""Run registered pipelines on a data set and write the baseline table.

:func:`run_benchmark` is what ``python -m fer_classic.bench`` calls. For each
pipeline it runs :func:`fer_classic.protocol.run_protocol`, then writes

- ``runs/<name>.json``: the run record, as soon as the pipeline finishes;
- ``confusion/<name>.png``: its PrivateTest confusion matrix;
- ``results.csv``, ``results.json``, ``results.md`` and ``accuracy.png``:
  the table of every finished pipeline of this configuration.

Each file is written atomically, so an interrupted or failing run never
leaves a half-written result, and pipelines finished before a failure keep
their results. With ``resume=True`` a pipeline whose run record matches the
current configuration (data fingerprint, quick flag, seed, pipeline and
grid) is not run again.
"""

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from . import EMOTIONS, SPLITS, __version__
from .protocol import run_protocol
from .registry import get_spec
from .report import plot_accuracies, plot_confusion, write_json, write_tables
from .utils.jsonable import environment, stable_repr
from .utils.progress import log

__all__ = ["run_benchmark", "QUICK_TRAIN_SIZE", "BenchmarkError", "feature_cache_key"]

#: Training faces used by ``quick=True`` runs (stratified, seeded subsample).
QUICK_TRAIN_SIZE = 4000


class BenchmarkError(RuntimeError):
    """One or more pipelines failed; the others' results were written.

    ``records`` holds the run records of the pipelines that finished (none
    when every pipeline failed: then no results file was written).
    """

    def __init__(self, message, records=()):
        super().__init__(message)
        self.records = list(records)


def _splits(data, quick, seed):
    splits = {s: data.get_split(s) for s in SPLITS}
    X, y = splits["Training"]
    if quick and len(y) > QUICK_TRAIN_SIZE:
        X, _, y, _ = train_test_split(X, y, train_size=QUICK_TRAIN_SIZE, stratify=y,
                                      random_state=seed)
        splits["Training"] = (X, y)
    return splits


def feature_cache_key(fingerprint, quick=False, seed=0):
    """The ``data_key`` under which a bench run caches features (see ``run_protocol``).

    Scripts that reuse a bench run's features pass it, with the same cache
    directory, to :func:`fer_classic.protocol.compute_features`.
    """
    return f"{fingerprint}-quick{QUICK_TRAIN_SIZE if quick else 0}-seed{seed}-v{__version__}"


def dataset_summary(data, *, training_faces=None):
    """JSON-able description of a loaded data set for the results files.

    ``training_faces``: the size of a quick run's Training subsample; the
    summary then counts it and says it is a quick run.
    """
    counts = {s: int(np.sum(data.split == s)) for s in SPLITS}
    kind = "SYNTHETIC faces (not FER2013)" if data.source == "synthetic" else "FER2013"
    parts = [f"{s} {n:,}" for s, n in counts.items()]
    summary = {
        "source": data.source,
        "path": str(data.path) if data.path else None,
        "fingerprint": data.fingerprint(),
        "counts": counts,
    }
    if training_faces is not None:
        summary["quick"] = {"training_faces": int(training_faces), "of": counts["Training"]}
        parts[0] = (f"Training {training_faces:,} of {counts['Training']:,} "
                    "(QUICK run: stratified subsample, small grids)")
        counts["Training"] = int(training_faces)
    if data.target_names != EMOTIONS:
        summary["classes"] = list(data.target_names)
        labels = "FER+" if "ferplus" in data.source else f"{len(data.target_names)}-class"
        kind += f" with {labels} labels ({', '.join(data.target_names)})"
    summary["description"] = f"{kind}, {data.source} " + ", ".join(parts)
    return summary


def _config(spec, data_summary, quick, seed):
    mirror_train, mirror_test = spec.get_mirror(quick)
    return {
        "fingerprint": data_summary["fingerprint"],
        "quick": bool(quick),
        "seed": int(seed),
        "grid": stable_repr(spec.get_grid(quick)),
        "pipeline": stable_repr(spec.build(seed)),
        "mirror_train": mirror_train,
        "mirror_test": mirror_test,
        "fer_classic": __version__,
    }


def _load_record(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _warn_synthetic():
    """Log a banner saying that the run is on synthetic faces and how to get FER2013."""
    log("!" * 72)
    log("NO FER2013 DATA: running on SYNTHETIC faces. The numbers only show that")
    log("the pipelines run. Get fer2013.csv (Kaggle 'challenges-in-representation-")
    log("learning-facial-expression-recognition-challenge') or the image-folder")
    log("release and pass --data PATH or set FER2013_PATH.")
    log("!" * 72)


def _finished_record(run_path, config, name, verbose):
    """Return the run record at ``run_path`` if it is of ``config``, else None."""
    old = _load_record(run_path)
    if old is not None and old.get("config") == config:
        if verbose:
            log(f"[{name}] already finished, skipped (--resume)")
        return old
    return None


def _record(spec, result, data, quick, config, t0):
    """Return the run record of a pipeline's protocol result (``t0``: when it started)."""
    return {
        "name": spec.name,
        "description": spec.describe(quick),
        # published figures are FER2013 PrivateTest accuracies: other labels
        # (FER+) are not compared with them
        "published": spec.published if data.target_names == EMOTIONS else None,
        "config": config,
        "best_params": result.best_params,
        "public": result.public,
        "private": result.private,
        "search": [{"params": c["params"], "public_accuracy": c["public_accuracy"]}
                   for c in result.search],
        "search_fit_times": [c["fit_time"] for c in result.search],
        "n_train": result.n_train,
        # face by face, so that a saved model can be checked against them
        "private_predictions": result.predictions["PrivateTest"].tolist(),
        "timings": result.timings,
        "wall_time": time.perf_counter() - t0,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": environment(),
    }


def _save_model(result, save_models, name, record, data, verbose):
    """Save the fitted pipeline of ``result`` under ``save_models`` with its run record."""
    from .persist import save_named_model

    saved = save_named_model(result.estimator, save_models, name, record=record, data=data)
    if verbose:
        log(f"[{name}] saved the fitted pipeline to {saved}")


def _plot_confusion(result, out, name, data, quick):
    """Plot the PrivateTest confusion matrix of ``result`` to ``confusion/<name>.png``."""
    plot_confusion(result.private["confusion"], out / "confusion" / f"{name}.png",
                   classes=data.target_names,
                   title=f"{name}: PrivateTest accuracy "
                         f"{100 * result.private['accuracy']:.2f} %"
                         + _run_kind(data.is_synthetic, quick))


def run_benchmark(
    names,
    data,
    out_dir,
    *,
    quick=False,
    seed=0,
    n_jobs=None,
    resume=False,
    cache_dir=None,
    save_models=None,
    scheduler=None,
    verbose=True,
):
    """Run the named pipelines on ``data`` and write the results into ``out_dir``.

    Parameters
    ----------
    names : list of str
        Registered pipeline names (see :mod:`fer_classic.registry`).
    data : fer_classic.datasets.FER2013
        The data set, real or synthetic.
    out_dir : str or Path
        Output directory (created).
    quick : bool, default=False
        Subsample Training to :data:`QUICK_TRAIN_SIZE` faces and use the
        quick grids.
    seed : int, default=0
        Seeds the pipelines and the quick subsample.
    n_jobs : int, optional
        Parallel grid candidates (joblib semantics).
    resume : bool, default=False
        Skip pipelines whose results for this configuration exist.
    cache_dir : str or Path, optional
        Feature cache directory; ``None`` disables the feature cache.
    save_models : str or Path, optional
        Directory to save each fitted pipeline into (see
        :func:`fer_classic.persist.save_model`).
    scheduler : str or distributed.Client, optional
        Run the grid searches and local-learning predictions on this Dask
        cluster (see :func:`fer_classic.distributed.dask_backend`; needs the
        ``dask`` extra). Results are the same as a local run.
    verbose : bool, default=True
        Progress on stderr.

    Returns
    -------
    records : list of dict
        Run records of the requested pipelines, in order.

    Raises
    ------
    BenchmarkError
        After all pipelines ran, if any failed.
    """
    specs = [get_spec(n) for n in names]  # unknown names fail before any work
    if scheduler is not None:
        from .distributed import dask_backend

        with dask_backend(scheduler, verbose=verbose):
            return run_benchmark(names, data, out_dir, quick=quick, seed=seed, n_jobs=n_jobs,
                                 resume=resume, cache_dir=cache_dir, save_models=save_models,
                                 verbose=verbose)
    out = Path(out_dir)
    splits = _splits(data, quick, seed)
    y_private = splits["PrivateTest"][1]
    summary = dataset_summary(data, training_faces=len(splits["Training"][1]) if quick else None)
    data_key = feature_cache_key(summary["fingerprint"], quick, seed)
    if verbose and data.source == "synthetic":
        _warn_synthetic()

    records, failures = [], []
    for i, spec in enumerate(specs):
        run_path = out / "runs" / f"{spec.name}.json"
        config = _config(spec, summary, quick, seed)
        old = _finished_record(run_path, config, spec.name, verbose) if resume else None
        if old is not None:
            records.append(old)
            continue
        if verbose:
            log(f"[{spec.name}] ({i + 1}/{len(specs)}) {spec.describe(quick)}")
        mirror_train, mirror_test = spec.get_mirror(quick)
        t0 = time.perf_counter()
        try:
            result = run_protocol(
                spec.build(seed), spec.get_grid(quick), splits, data_key=data_key,
                memory=cache_dir, n_jobs=n_jobs, verbose=verbose, name=spec.name,
                mirror_train=mirror_train, mirror_test=mirror_test,
                n_classes=len(data.target_names),
            )
        except Exception as exc:  # keep going: finished pipelines stay written
            failures.append((spec.name, exc))
            log(f"[{spec.name}] FAILED: {type(exc).__name__}: {exc}")
            continue
        record = _record(spec, result, data, quick, config, t0)
        if save_models is not None:
            _save_model(result, save_models, spec.name, record, data, verbose)
        _plot_confusion(result, out, spec.name, data, quick)
        records.append(record)
        # the fitted pipeline can hold gigabytes (a local learner's training
        # set): let it go before the next pipeline loads its features
        del result
        _write_summary(out, summary, records, y_private)
        # last: an existing run record means every output of the pipeline is complete
        write_json(record, run_path)

    if records:
        _write_summary(out, summary, records, y_private)
    if failures:
        raise BenchmarkError("; ".join(f"{n}: {type(e).__name__}: {e}" for n, e in failures),
                             records=records)
    return records


def _run_kind(synthetic, quick):
    """Suffix of plot titles: what kind of run made the figure."""
    kinds = (["SYNTHETIC data"] if synthetic else []) + (["QUICK run"] if quick else [])
    return f" ({', '.join(kinds)})" if kinds else ""


def _write_summary(out, summary, records, y_private):
    write_tables(records, out, dataset=summary, y_true=y_private)
    title = "PrivateTest accuracy" + _run_kind(summary["source"] == "synthetic",
                                               summary.get("quick") is not None)
    plot_accuracies(records, out / "accuracy.png", title=title,
                    published="classes" not in summary)
