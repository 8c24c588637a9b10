"""Named pipelines, their grids and the published figures they stand beside.

A :class:`PipelineSpec` is data: a name, a factory that builds an unfitted
scikit-learn :class:`~sklearn.pipeline.Pipeline`, the grid searched on
PublicTest, a smaller grid for ``--quick`` runs, and optionally the
published FER2013 figure that the pipeline reproduces. The bench runs specs
from :data:`REGISTRY`; users add their own with :func:`register`.

Examples
--------
>>> from sklearn.pipeline import Pipeline
>>> from sklearn.linear_model import LogisticRegression
>>> from fer_classic.features import HOG
>>> from fer_classic.registry import PipelineSpec, register, get_spec, unregister
>>> spec = register(PipelineSpec(
...     name="my-hog-logreg",
...     build=lambda random_state: Pipeline(
...         [("hog", HOG()), ("clf", LogisticRegression(max_iter=500))]),
...     grid={"clf__C": [0.1, 1.0]},
...     description="HOG + logistic regression"))
>>> get_spec("my-hog-logreg").grid
{'clf__C': [0.1, 1.0]}
>>> unregister("my-hog-logreg")
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC, LinearSVC

from .features import (HOG, LBP, BagOfVisualWords, DenseSIFT, FisherVector,
                       ContrastJitter, HistogramEqualization, Pixels, SampledPCA)
from .models import (CachedClassifier, DualLinearSVM, KernelSVC, LinearSVM,
                     LocalLearningClassifier)
from .published import PUBLISHED, Published  # noqa: F401 (re-exported)

__all__ = [
    "Published",
    "PipelineSpec",
    "PUBLISHED",
    "REGISTRY",
    "register",
    "unregister",
    "get_spec",
    "list_specs",
]


@dataclass(frozen=True)
class PipelineSpec:
    """A named pipeline of the bench.

    Parameters
    ----------
    name : str
        Unique name, e.g. ``"hog-linearsvm"``.
    build : callable
        ``build(random_state) -> Pipeline``; the last step is the classifier.
    grid : dict or list of dict
        Parameter grid searched on PublicTest (full runs).
    quick_grid : dict or list of dict, optional
        Smaller grid for ``--quick`` runs; defaults to the first value of
        every entry of ``grid``.
    description : str
        One line for ``--list`` and the results table.
    published : str, optional
        Key into :data:`PUBLISHED` of the figure this pipeline reproduces.
    tags : tuple of str
        Free-form labels (``"baseline"``, ``"sift"``, ...).
    mirror_train : bool
        Fit the classifier on the Training faces and their mirror images
        (``run_protocol(mirror_train=True)``).
    mirror_test : bool
        Score each test face by the mean of the classifier's scores for the
        face and its mirror image (``run_protocol(mirror_test=True)``).
    quick_mirror : bool, default=True
        Keep ``mirror_train`` and ``mirror_test`` in ``--quick`` runs; False
        leaves the mirror images out of them, which halves the faces to
        encode and, for local learning, the neighbours to search.
    """

    name: str
    build: Callable
    grid: object = field(default_factory=dict)
    quick_grid: Optional[object] = None
    description: str = ""
    published: Optional[str] = None
    tags: tuple = ()
    mirror_train: bool = False
    mirror_test: bool = False
    quick_mirror: bool = True

    def get_mirror(self, quick=False):
        """``(mirror_train, mirror_test)`` for a full run, or a quick one when ``quick``."""
        if quick and not self.quick_mirror:
            return False, False
        return self.mirror_train, self.mirror_test

    def get_grid(self, quick=False):
        """The grid for a full run, or the quick grid when ``quick``."""
        if not quick:
            return self.grid
        if self.quick_grid is not None:
            return self.quick_grid
        grids = self.grid if isinstance(self.grid, list) else [self.grid]
        return {k: list(v)[:1] for k, v in grids[0].items()} if grids else {}

    def describe(self, quick=False):
        """The description, which for a quick run also says what the quick run changed.

        The description is written for the full run; a ``--quick`` run uses
        its quick grid (fewer words, Gaussians or trees, for instance) and may
        leave out the mirror images, so it is labelled as such.
        """
        if not quick:
            return self.description
        changes = [f"{k}={v}" for k, v in _grid_settings(self.get_grid(True)).items()]
        if self.get_mirror(True) != self.get_mirror(False):
            changes.append("no mirror images")
        return (f"QUICK RUN ({', '.join(changes) or 'first grid values'}) of: "
                f"{self.description}")


def describe_registry(width=100):
    """The registered pipelines for a terminal: name, wrapped description, grids.

    Every line is at most ``width`` characters (a long parameter value
    aside).
    """
    import textwrap

    blocks = []
    for spec in REGISTRY.values():
        lines = [spec.name]
        lines += textwrap.wrap(spec.description, width, initial_indent="    ",
                               subsequent_indent="    ")
        for label, quick in (("grid", False), ("quick grid", True)):
            grid = _grid_settings(spec.get_grid(quick))
            settings = ", ".join(f"{k}={v}" for k, v in grid.items())
            lines += textwrap.wrap(f"{label}: {settings or '-'}", width, initial_indent="    ",
                                   subsequent_indent="        ")
        if spec.mirror_train or spec.mirror_test:
            where = [what for what, on in (("training", spec.mirror_train),
                                           ("test", spec.mirror_test)) if on]
            lines.append("    mirror images: " + ", ".join(where)
                         + ("" if spec.quick_mirror else " (not in quick runs)"))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _grid_settings(grid):
    """``{parameter: value or list of values}`` of a grid (the first of a list of grids)."""
    grids = grid if isinstance(grid, list) else [grid]
    if not grids:
        return {}
    return {k: (list(v)[0] if len(list(v)) == 1 else list(v)) for k, v in grids[0].items()}


REGISTRY = {}


def register(spec, *, overwrite=False):
    """Add ``spec`` to :data:`REGISTRY` and return it.

    Raises ValueError if the name is taken (unless ``overwrite``) or the
    published key is unknown.
    """
    if not isinstance(spec, PipelineSpec):
        raise TypeError(f"register() takes a PipelineSpec; got {type(spec).__name__}.")
    if spec.name in REGISTRY and not overwrite:
        raise ValueError(f"a pipeline named {spec.name!r} is already registered; "
                         "pass overwrite=True to replace it.")
    if spec.published is not None and spec.published not in PUBLISHED:
        raise ValueError(f"unknown published figure {spec.published!r}; "
                         f"known: {sorted(PUBLISHED)}.")
    REGISTRY[spec.name] = spec
    return spec


def unregister(name):
    """Remove a pipeline from :data:`REGISTRY`."""
    REGISTRY.pop(name, None)


def get_spec(name):
    """Return the registered :class:`PipelineSpec` called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no pipeline named {name!r}; registered: "
                       f"{', '.join(sorted(REGISTRY))}.") from None


def list_specs(tags=None):
    """Registered specs in registration order, optionally only those with a tag."""
    specs = list(REGISTRY.values())
    if tags:
        specs = [s for s in specs if set(tags) & set(s.tags)]
    return specs


# --------------------------------------------------------------------------
# The built-in pipelines. Each factory only builds; grids live beside it; why a
# setting was chosen is in benchmarks/results/CHOICES.md, linked beside it.

def _equalize():
    # the first step of every pipeline; why: benchmarks/results/CHOICES.md#equalize
    return HistogramEqualization()


def _linear_svm():
    # why: benchmarks/results/CHOICES.md#linear-svm
    return LinearSVM(C=1e-2, tol=1e-3)


def _hog_for_linear():
    # why: benchmarks/results/CHOICES.md#hog-for-linear
    return HOG(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
               block_norm="L1-sqrt", transform_sqrt=True)


def _multiscale_hog():
    # why: benchmarks/results/CHOICES.md#multiscale-hog
    return FeatureUnion([
        (f"hog{c}", HOG(orientations=9, pixels_per_cell=(c, c), cells_per_block=(2, 2),
                        block_norm="L1-sqrt", transform_sqrt=True))
        for c in (8, 6, 4)
    ])


def _sqrt():
    # Hellinger map: square roots of histograms make a linear kernel behave
    # like the Bhattacharyya kernel, the usual cheap fix for histogram features.
    return FunctionTransformer(_safe_sqrt, feature_names_out="one-to-one")


def _safe_sqrt(X):
    return np.sqrt(np.maximum(X, 0))


register(PipelineSpec(
    name="pixels-linearsvm",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("pixels", Pixels()),
        ("scale", StandardScaler()),
        ("svm", _linear_svm()),
    ]),
    grid={"svm__C": [1e-4, 1e-3]},
    quick_grid={"svm__C": [1e-3]},
    description="histogram-equalised raw pixels, standardised, linear SVM",
    tags=("baseline",),
))

register(PipelineSpec(
    name="hog-linearsvm",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("hog", _hog_for_linear()),
        ("scale", StandardScaler()),
        ("svm", _linear_svm()),
    ]),
    grid={"svm__C": [1e-2, 3e-2]},
    quick_grid={"svm__C": [1e-2]},
    description="HOG (9 orientations, 8x8 cells, 2x2-cell blocks, square-root gamma, "
                "L1-sqrt blocks), standardised, linear SVM",
    tags=("baseline",),
))

register(PipelineSpec(
    name="hog-rbfsvm",
    build=lambda rs: Pipeline([
        # jitters half the Training faces; why: benchmarks/results/CHOICES.md#hog-rbfsvm-jitter
        ("jitter", ContrastJitter(p=0.5, min_contrast=1.0, random_state=rs)),
        ("equalize", _equalize()),
        ("hog", _multiscale_hog()),
        # not whitened; why: benchmarks/results/CHOICES.md#hog-rbfsvm-pca
        ("pca", PCA(n_components=300, random_state=rs)),
        ("svm", SVC(kernel="rbf", C=10.0, gamma="scale", cache_size=1000,
                    random_state=rs)),
    ]),
    grid={"svm__C": [3.0, 10.0]},
    quick_grid={"svm__C": [10.0]},
    description="HOG at 8x8, 6x6 and 4x4-pixel cells, PCA to 300 components, RBF SVM; half the "
                "Training faces with a random gamma, contrast and brightness",
    tags=("baseline",),
))

register(PipelineSpec(
    name="lbp-linearsvm",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("lbp", LBP(P=8, R=1.0, method="uniform", grid_shape=(6, 6))),
        ("sqrt", _sqrt()),
        ("scale", StandardScaler()),
        ("svm", _linear_svm()),
    ]),
    grid={"svm__C": [1e-3, 1e-2, 1e-1]},
    quick_grid={"svm__C": [1e-2]},
    description="uniform LBP(8, 1) histograms on a 6x6 grid, square-rooted, linear SVM",
    tags=("baseline",),
))

register(PipelineSpec(
    name="lbp-randomforest",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("lbp", LBP(P=8, R=1.0, method="uniform", grid_shape=(6, 6))),
        ("forest", RandomForestClassifier(n_estimators=300, max_features="sqrt",
                                          min_samples_leaf=1, n_jobs=2,
                                          random_state=rs)),
    ]),
    # why: benchmarks/results/CHOICES.md#lbp-randomforest
    grid={"forest__max_features": ["sqrt"]},
    quick_grid={"forest__n_estimators": [100]},
    description="uniform LBP(8, 1) histograms on a 6x6 grid, random forest (300 trees)",
    tags=("baseline",),
))

register(PipelineSpec(
    name="hog+lbp-linearsvm",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("features", FeatureUnion([
            ("hog", _hog_for_linear()),
            ("lbp", Pipeline([
                ("lbp", LBP(P=8, R=1.0, method="uniform", grid_shape=(6, 6))),
                ("sqrt", _sqrt()),
            ])),
        ])),
        ("scale", StandardScaler()),
        ("svm", _linear_svm()),
    ]),
    grid={"svm__C": [1e-3, 1e-2]},
    quick_grid={"svm__C": [1e-3]},
    description="HOG and square-rooted LBP histograms side by side, linear SVM",
    tags=("baseline", "fusion"),
))


#: --quick codebooks: fewer words and descriptors; why: benchmarks/results/CHOICES.md#quick-bovw
_QUICK_BOVW = {"bovw__n_words": [200], "bovw__n_samples": [20_000]}

#: --quick local learning: fewer neighbours; why: benchmarks/results/CHOICES.md#quick-local
_QUICK_LOCAL = {"local__n_neighbors": [100]}


def _bovw(levels, encoding, random_state):
    # Dense SIFT every 2 pixels with 4-pixel bins (16-pixel patches, 289 per
    # face), a 1,000-word k-means codebook, per-level L2-normalised counts or
    # presence vectors (so a linear kernel is the sum of per-level kernels).
    return BagOfVisualWords(
        extractor=DenseSIFT(step=2, bin_size=4), n_words=1000, n_samples=200_000,
        pyramid_levels=levels, encoding=encoding, normalize="l2", n_init=1,
        sparse_output=True, random_state=random_state, n_jobs=2,
    )


register(PipelineSpec(
    name="sift-bovw-linearsvm",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("bovw", _bovw((1,), "histogram", rs)),
        ("svm", LinearSVM(C=1.0, tol=1e-3)),
    ]),
    # why: benchmarks/results/CHOICES.md#sift-bovw-c
    grid={"svm__C": [0.1, 0.3, 1.0]},
    quick_grid=_QUICK_BOVW | {"svm__C": [1.0]},
    description="dense SIFT bag of 1,000 visual words (histogram, no pyramid), linear SVM",
    tags=("sift",),
))

register(PipelineSpec(
    name="sift-bovw-pyramid-svm",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("bovw", _bovw((1, 2, 4), "presence", rs)),
        ("svm", LinearSVM(C=1.0, tol=1e-3)),
    ]),
    # why: benchmarks/results/CHOICES.md#sift-bovw-c
    grid={"svm__C": [0.1, 0.3, 1.0]},
    quick_grid=_QUICK_BOVW | {"svm__C": [1.0]},
    description="dense SIFT presence vectors on a 1+2x2+4x4 spatial pyramid, linear SVM",
    tags=("sift",),
))


def _bovw_tree(random_state):
    # a two-level codebook; why: benchmarks/results/CHOICES.md#sift-bovw-vocabulary
    return BagOfVisualWords(
        extractor=DenseSIFT(step=2, bin_size=4), n_words=20_000, n_coarse_words=100,
        n_probes=3, n_samples=1_000_000, pyramid_levels=(1, 2, 4), encoding="presence",
        normalize="l2", n_init=1, sparse_output=True, random_state=random_state, n_jobs=2,
    )


def _bovw_global_svm(random_state):
    # liblinear, one fit at a time; why: benchmarks/results/CHOICES.md#global-svm-solvers
    return LinearSVC(C=0.1, dual=True, tol=1e-2, random_state=random_state)


register(PipelineSpec(
    name="sift-bovw-local",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("bovw", _bovw_tree(rs)),
        ("local", LocalLearningClassifier(
            n_neighbors=200, metric="linear", estimator=KernelSVC(kernel="linear", C=1.0),
            n_jobs=2, global_estimator=_bovw_global_svm(rs), global_weight=0.5,
            local_views="all")),
    ]),
    # why: benchmarks/results/CHOICES.md#sift-bovw-local
    grid={"local__n_neighbors": [200], "local__global_weight": [0.5]},
    # why: benchmarks/results/CHOICES.md#sift-bovw-local-quick
    quick_grid=_QUICK_BOVW | {"bovw__n_coarse_words": [20], "local__n_neighbors": [50],
                              "local__local_views": ["first"],
                              "local__global_estimator": [None]},
    mirror_train=True,
    mirror_test=True,
    quick_mirror=False,
    description="the paper's method: pyramid presence vectors of 20,000 visual words with local "
                "learning (a linear SVM on the k most similar training faces, mirror images "
                "included), averaged over the face and its mirror image; plus 0.5 x the "
                "scores of the global linear SVM",
    published="ionescu2013",
    tags=("sift", "local"),
))


def _fisher(random_state):
    # float16, every posterior kept; why: benchmarks/results/CHOICES.md#fisher-vectors
    return FisherVector(
        extractor=DenseSIFT(step=2, bin_size=(4, 6, 8), dtype="uint8"), n_components=256,
        pca_components=64, spatial_weight=1.0, n_samples=200_000,
        random_state=random_state, n_jobs=2, dtype="float16", chunk_size=64,
    )


#: --quick mixtures: smaller, fewer descriptors; why: benchmarks/results/CHOICES.md#quick-fisher
_QUICK_FISHER = {"fisher__n_components": [16], "fisher__n_samples": [20_000]}


def _fisher_svm(random_state):
    # one fit shared by the three Fisher pipelines; why: benchmarks/results/CHOICES.md#fisher-svm
    # its solver; why: benchmarks/results/CHOICES.md#global-svm-solvers
    return CachedClassifier(DualLinearSVM(C=1.0, tol=0.1, random_state=random_state, n_jobs=2))


register(PipelineSpec(
    name="sift-fisher-linearsvm",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("fisher", _fisher(rs)),
        ("svm", _fisher_svm(rs)),
    ]),
    # why: benchmarks/results/CHOICES.md#sift-fisher-c
    grid={"svm__estimator__C": [1.0]},
    quick_grid=_QUICK_FISHER | {"svm__estimator__C": [0.1]},
    mirror_train=True,
    mirror_test=True,
    quick_mirror=False,
    description="Fisher vectors (256 Gaussians) of multi-scale dense RootSIFT with keypoint "
                "positions, Training faces and their mirror images, linear SVM, scores "
                "averaged over each test face and its mirror image",
    tags=("sift", "fisher"),
))

register(PipelineSpec(
    name="sift-fisher-local+global",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("fisher", _fisher(rs)),
        ("local", LocalLearningClassifier(
            n_neighbors=300, metric="linear", estimator=KernelSVC(kernel="linear", C=1.0),
            n_jobs=2, global_estimator=_fisher_svm(rs), global_weight=0.5,
            local_views="first")),
    ]),
    # why: benchmarks/results/CHOICES.md#sift-fisher-local-global
    grid={"local__n_neighbors": [300], "local__global_weight": [0.5]},
    quick_grid=_QUICK_FISHER | _QUICK_LOCAL,
    mirror_train=True,
    mirror_test=True,
    quick_mirror=False,
    description="the Fisher vectors with local learning (a linear SVM on the k most similar "
                "training faces, mirror images included) of each test face, plus the weighted "
                "scores of the global linear SVM averaged over the face and its mirror image",
    tags=("sift", "fisher", "local"),
))

register(PipelineSpec(
    name="sift-fisher-compact-local",
    build=lambda rs: Pipeline([
        ("equalize", _equalize()),
        ("fisher", _fisher(rs)),
        ("local", LocalLearningClassifier(
            n_neighbors=300, metric="linear", estimator=KernelSVC(kernel="linear", C=1.0),
            n_jobs=2, transformer=SampledPCA(96, n_samples=12_000, random_state=rs),
            global_estimator=_fisher_svm(rs), global_weight=1.0, local_views="first")),
    ]),
    # why: benchmarks/results/CHOICES.md#sift-fisher-compact-local
    grid={"local__global_weight": [1.0]},
    quick_grid=_QUICK_FISHER | _QUICK_LOCAL,
    mirror_train=True,
    mirror_test=True,
    quick_mirror=False,
    description="the model installed with fer_classic: the Fisher vectors' global linear SVM "
                "(C = 1) on the face and its mirror image, plus local learning on "
                "96-dimensional PCA codes of the vectors (k = 300), so that the model keeps "
                "megabytes of codes instead of the Training matrix",
    tags=("sift", "fisher", "local", "shipped"),
))
