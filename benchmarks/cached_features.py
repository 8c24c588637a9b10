"""The features of a registry pipeline as the bench caches them, for the benchmark scripts.

The scripts that vary one part of a pipeline (the classifier, a weight) on
FER2013 start from the features of the three splits and the labels, read
from the bench's on-disk cache when a bench run made them, and end their
records with the same rows and footer.
"""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import clone

from fer_classic import SPLITS
from fer_classic.datasets import get_cache_dir
from fer_classic.protocol import compute_features
from fer_classic.registry import get_spec
from fer_classic.runner import feature_cache_key
from machine import machine_description, peak_memory_mb

#: The splits that are scored.
TESTS = ("PublicTest", "PrivateTest")


@dataclass
class CachedFeatures:
    """A pipeline's features of every split (test splits with their mirror images)."""

    spec: object
    pipeline: object
    features: dict
    y_train: np.ndarray
    y_test: dict
    cache: Path


def parse_and_start(parser, argv=None):
    """Parse the command line and start the wall clock: ``(args, argv, t_start)``.

    ``argv`` (``sys.argv[1:]`` when None) comes back as a list, for the
    command :func:`record_footer` writes; ``t_start`` is
    ``time.perf_counter()`` once it is parsed.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    return args, argv, time.perf_counter()


def cached_features(data, name, seed):
    """Features of registry pipeline ``name`` (built with ``seed``) for ``data``.

    Training holds the mirror images below the faces when the pipeline
    trains on them; the test splits always come with their mirror images
    (``"PublicTest mirrored"``, ...).
    """
    splits = {s: data.get_split(s) for s in SPLITS}
    spec = get_spec(name)
    pipe = spec.build(seed)
    cache = Path(get_cache_dir()) / "features"
    F = compute_features(pipe, splits, data_key=feature_cache_key(data.fingerprint(), seed=seed),
                         memory=cache, mirror_train=spec.mirror_train, mirror_test=True)
    y_train = np.concatenate([splits["Training"][1]] * (2 if spec.mirror_train else 1))
    return CachedFeatures(spec, pipe, F, y_train, {s: splits[s][1] for s in TESTS}, cache)


def global_model(combined, cache, C=None):
    """The global estimator of a local+global classifier, reading the bench's cached fit.

    ``C`` (the registry's when None) replaces every ``C`` parameter: the
    registry's global SVM sits in a :class:`~fer_classic.models.CachedClassifier`,
    so its C is nested.
    """
    glob = clone(combined.global_estimator)
    if "memory" in glob.get_params():  # a CachedClassifier: read the bench's fit
        glob.set_params(memory=str(cache))
    if C is not None:
        glob.set_params(**{k: C for k in _c_params(glob)})
    return glob


def global_c(glob):
    """The C of a global model as :func:`global_model` gives it (nested or not)."""
    return glob.get_params()[_c_params(glob)[0]]


def _c_params(estimator):
    return [k for k in estimator.get_params() if k.rsplit("__", 1)[-1] == "C"]


def accuracy(scores, y):
    """Accuracy in percent of the class with the largest score, row by row."""
    return 100.0 * float(np.mean(np.argmax(scores, axis=1) == y))


def markdown_row(cells, bold=False):
    """One row of a Markdown table (cells are strings), every cell in bold when ``bold``."""
    return "| " + " | ".join(f"**{c}**" if bold else c for c in cells) + " |"


def global_row(scores, y_test, blanks=0):
    """The table row of the global SVM alone: ``blanks`` empty cells, then its accuracies."""
    return ("| global SVM alone | " + "| " * blanks
            + " | ".join(f"{accuracy(scores[s], y_test[s]):.2f}" for s in TESTS) + " |")


def record_footer(script, argv, timings, t_start, made_by="a bench run"):
    """The last lines of a record: seconds, wall time, machine and command."""
    return [
        "",
        "Seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items())
        + f"; wall time {time.perf_counter() - t_start:.0f} s (features and the global fit "
        f"from the cache when {made_by} made them); peak memory {peak_memory_mb():,.0f} MB "
        "(largest resident set of this process or its workers).",
        f"Machine: {machine_description()}",
        f"Command: `python benchmarks/{script} " + " ".join(argv) + "`",
        "",
    ]
