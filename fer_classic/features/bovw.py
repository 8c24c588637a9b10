"""Bag of visual words over dense local descriptors, with a spatial pyramid.

A codebook of ``n_words`` visual words is learnt by k-means on a sample of
local descriptors (dense SIFT by default); a face is then described by which
words occur (``presence``) or how often (``histogram``) in the whole face and
in each cell of finer grids (a spatial pyramid), one block of ``n_words``
values per cell. Large codebooks can be two-level (coarse words, then words
within each coarse cell), which makes finding a descriptor's word much
cheaper (:func:`fit_two_level_codebook`, :func:`assign_words_two_level`).
"""

import numbers
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import _fit_context, clone
from sklearn.cluster import MiniBatchKMeans
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils.parallel import map_chunks
from ..utils.progress import log, progress_enabled
from ..utils.validation import check_positive_int
from ._face import N_JOBS_CONSTRAINT, FaceStackEstimator
from .sift import DenseSIFT, sample_descriptors

__all__ = ["BagOfVisualWords", "DescriptorEncoder", "allocate_words", "assign_words",
           "assign_words_two_level", "fit_two_level_codebook", "pyramid_cells"]

_POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]
#: what BagOfVisualWords and FisherVector need of a descriptor extractor
#: (``positions_`` too, once fitted)
EXTRACTOR_CONSTRAINT = [HasMethods(["fit", "transform_descriptors"]), None]
#: float32 values in a distance block of assign_words (16 MB)
_BLOCK_VALUES = 1 << 22


def assign_words(descriptors, codebook, *, batch_size=None):
    """Index of the nearest codeword (squared Euclidean) of every descriptor.

    Parameters
    ----------
    descriptors : ndarray of shape (m, d)
        Local descriptors (any real dtype; computed in float32).
    codebook : ndarray of shape (n_words, d)
        Visual words.
    batch_size : int or None, default=None
        Descriptors per matrix product; bounds the ``(batch_size, n_words)``
        distance block. None picks a block of about 16 MB (at least 64 rows):
        4,096 descriptors for 1,000 words, 419 for 10,000.

    Returns
    -------
    words : ndarray of shape (m,), dtype int32

    Examples
    --------
    >>> import numpy as np
    >>> assign_words(np.array([[0., 0.], [5., 5.]]), np.array([[4., 4.], [0., 1.]]))
    array([1, 0], dtype=int32)
    """
    return _nearest_words(descriptors, codebook, 1, batch_size)[0][:, 0]


def _nearest_words(descriptors, codebook, n_nearest=1, batch_size=None):
    """``(words, scores)``, both ``(m, n_nearest)``: the nearest codewords of each row.

    A score is ``||c||^2 / 2 - x . c``, the squared distance ``||x - c||^2 / 2``
    less a constant per descriptor: scores of one descriptor compare across
    codebooks. With ``n_nearest > 1`` the words come in no particular order.
    """
    c = np.asarray(codebook, dtype=np.float32)
    if batch_size is None:
        batch_size = max(64, _BLOCK_VALUES // max(len(c), 1))
    batch_size = check_positive_int(batch_size, "batch_size")
    half_sq = 0.5 * np.einsum("kd,kd->k", c, c)
    m = len(descriptors)
    words = np.empty((m, n_nearest), dtype=np.int32)
    best = np.empty((m, n_nearest), dtype=np.float32)
    for start in range(0, m, batch_size):
        x = np.asarray(descriptors[start:start + batch_size], dtype=np.float32)
        # argmin ||x - c||^2 = argmin (||c||^2 / 2 - x . c)
        scores = x @ c.T
        np.subtract(half_sq, scores, out=scores)
        if n_nearest == 1:
            w = np.argmin(scores, axis=1)[:, None]
        else:
            w = np.argpartition(scores, n_nearest - 1, axis=1)[:, :n_nearest]
        words[start:start + len(x)] = w
        best[start:start + len(x)] = np.take_along_axis(scores, w, axis=1)
    return words, best


def assign_words_two_level(descriptors, coarse, codebook, offsets, *, n_probes=1):
    """Nearest word of every descriptor in a two-level (tree) codebook.

    Each descriptor goes to its nearest coarse word ``c``, then to its nearest
    word among ``codebook[offsets[c]:offsets[c + 1]]``, the words fitted on
    the descriptors of that coarse cell (:func:`fit_two_level_codebook`).
    With ``n_coarse`` coarse words of about ``n_words / n_coarse`` words each,
    this compares a descriptor with ``n_coarse + n_words / n_coarse`` vectors
    instead of ``n_words``. With ``n_probes > 1``, the words of its
    ``n_probes`` nearest coarse cells are searched, and the nearest of them
    wins: closer to a flat codebook's assignment, ``n_probes`` times the
    fine-level work.

    Parameters
    ----------
    descriptors : ndarray of shape (m, d)
    coarse : ndarray of shape (n_coarse, d)
        Coarse words.
    codebook : ndarray of shape (n_words, d)
        Words, grouped by coarse cell.
    offsets : ndarray of shape (n_coarse + 1,), int
        Cell ``c``'s words are ``codebook[offsets[c]:offsets[c + 1]]`` (at
        least one each).
    n_probes : int, default=1
        Coarse cells searched per descriptor (at most ``n_coarse``).

    Returns
    -------
    words : ndarray of shape (m,), dtype int32
        Indices into ``codebook``.

    Examples
    --------
    >>> import numpy as np
    >>> coarse = np.array([[0., 0.], [10., 10.]])
    >>> codebook = np.array([[0., 0.], [1., 1.], [10., 10.]])
    >>> assign_words_two_level(np.array([[0.9, 0.8], [6., 6.]]), coarse, codebook, [0, 2, 3])
    array([1, 2], dtype=int32)
    """
    offsets = np.asarray(offsets)
    n_probes = min(check_positive_int(n_probes, "n_probes"), len(coarse))
    x = np.asarray(descriptors)
    probes = _nearest_words(x, coarse, n_probes)[0]
    out = np.empty(len(x), dtype=np.int32)
    best = np.full(len(x), np.inf, dtype=np.float32)
    for cells in probes.T:
        order = np.argsort(cells, kind="stable")
        bounds = np.searchsorted(cells[order], np.arange(len(coarse) + 1))
        for c in range(len(coarse)):
            idx = order[bounds[c]:bounds[c + 1]]
            if len(idx):
                lo, hi = int(offsets[c]), int(offsets[c + 1])
                words, scores = _nearest_words(x[idx], codebook[lo:hi])
                closer = scores[:, 0] < best[idx]
                out[idx[closer]] = lo + words[closer, 0]
                best[idx[closer]] = scores[closer, 0]
    return out


def allocate_words(counts, n_words):
    """Split ``n_words`` between cells in proportion to their descriptor counts.

    Every cell gets at least one word and at most as many words as it has
    descriptors; the rest goes by largest remainder.

    Parameters
    ----------
    counts : array-like of int, shape (n_cells,)
        Descriptors per cell, each at least 1.
    n_words : int
        ``n_cells <= n_words <= sum(counts)``.

    Returns
    -------
    words : ndarray of shape (n_cells,), int
        Sums to ``n_words``.

    Examples
    --------
    >>> allocate_words([10, 30, 1], 6).tolist()
    [2, 3, 1]
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.min() < 1 or not len(counts) <= n_words <= counts.sum():
        raise ValueError(f"cannot split {n_words} words between {len(counts)} cells of "
                         f"{counts.sum()} descriptors (need 1 to the cell's descriptors each).")
    room = counts - 1
    rest = n_words - len(counts)
    share = rest * room / max(room.sum(), 1)
    words = 1 + np.floor(share).astype(np.int64)
    left = n_words - int(words.sum())
    if left:
        frac = share - np.floor(share)
        frac[words >= counts] = -1.0
        words[np.argsort(-frac, kind="stable")[:left]] += 1
    return words


def fit_two_level_codebook(sample, n_words, n_coarse, *, random_state=None, **kmeans_params):
    """Two-level codebook: ``n_coarse`` coarse words, then words within each cell.

    The coarse words are k-means centres of the whole sample; each coarse
    cell (the sample's descriptors nearest to that coarse word) gets words in
    proportion to its size (:func:`allocate_words`), fitted by k-means on the
    cell's descriptors alone. This is the vocabulary tree of Nister &
    Stewenius (2006) with two levels: encoding with
    :func:`assign_words_two_level` compares each descriptor with about
    ``n_coarse + n_words / n_coarse`` vectors instead of ``n_words`` (200
    instead of 10,000 for 10,000 words under 100 coarse words).

    Parameters
    ----------
    sample : ndarray of shape (m, d)
        Descriptors to cluster.
    n_words : int
        Total number of words.
    n_coarse : int
        Number of coarse words (``<= n_words``); coarse cells that attract
        no descriptor are dropped.
    random_state : int, RandomState instance or None, default=None
        Seeds every k-means.
    **kmeans_params
        Passed to every :class:`~sklearn.cluster.MiniBatchKMeans`
        (``n_init``, ``max_iter``, ``batch_size``).

    Returns
    -------
    coarse : ndarray of shape (n_cells, d), float32
    codebook : ndarray of shape (n_words, d), float32
    offsets : ndarray of shape (n_cells + 1,), int64
        Cell ``c``'s words are ``codebook[offsets[c]:offsets[c + 1]]``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(600, 4))
    >>> coarse, codebook, offsets = fit_two_level_codebook(x, 20, 4, random_state=0)
    >>> coarse.shape, codebook.shape, int(offsets[-1])
    ((4, 4), (20, 4), 20)
    """
    rng = check_random_state(random_state)
    sample = np.asarray(sample, dtype=np.float32)
    coarse = _kmeans(sample, n_coarse, rng, kmeans_params)
    cells = assign_words(sample, coarse)
    counts = np.bincount(cells, minlength=len(coarse))
    coarse = coarse[counts > 0]
    cells = np.cumsum(counts > 0)[cells] - 1  # renumber after dropping empty cells
    counts = counts[counts > 0]
    words = allocate_words(counts, n_words)
    order = np.argsort(cells, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    parts = []
    for c, k in enumerate(words):
        members = sample[order[starts[c]:starts[c + 1]]]
        parts.append(members if k == len(members) else _kmeans(members, k, rng, kmeans_params))
    offsets = np.concatenate([[0], np.cumsum(words)]).astype(np.int64)
    return coarse, np.concatenate(parts).astype(np.float32), offsets


def _kmeans(sample, n_clusters, rng, params):
    """MiniBatchKMeans centres (float32), seeded from ``rng``."""
    params = dict(params)
    params["batch_size"] = min(params.get("batch_size", 4096), len(sample))
    km = MiniBatchKMeans(n_clusters=n_clusters, compute_labels=False,
                         random_state=rng.randint(np.iinfo(np.int32).max), **params)
    return km.fit(sample).cluster_centers_.astype(np.float32)


def pyramid_cells(positions, image_shape, levels):
    """Cell of every keypoint at every pyramid level.

    Parameters
    ----------
    positions : ndarray of shape (n_keypoints, 2)
        ``(row, col)`` keypoint centres.
    image_shape : tuple of int
        ``(height, width)``.
    levels : sequence of int
        Grid sizes: ``g`` splits the image into ``g x g`` equal cells.

    Returns
    -------
    cells : ndarray of shape (n_keypoints, len(levels)), dtype int
        Global cell index: level ``l``'s cells are numbered after those of
        the previous levels, row-major within a level.

    Examples
    --------
    >>> pyramid_cells(np.array([[10, 10], [10, 40], [40, 40]]), (48, 48), (1, 2))
    array([[0, 1],
           [0, 2],
           [0, 4]])
    """
    pos = np.asarray(positions)
    h, w = image_shape
    out = np.empty((len(pos), len(levels)), dtype=np.intp)
    offset = 0
    for j, g in enumerate(levels):
        r = np.minimum(pos[:, 0] * g // h, g - 1)
        c = np.minimum(pos[:, 1] * g // w, g - 1)
        out[:, j] = offset + r * g + c
        offset += g * g
    return out


def _check_levels(levels):
    if isinstance(levels, numbers.Integral) and not isinstance(levels, bool):
        levels = (levels,)
    try:
        levels = tuple(levels)
    except TypeError:
        raise ValueError(f"pyramid_levels must be a sequence of grid sizes such as (1, 2); "
                         f"got {levels!r}.") from None
    if not levels:
        raise ValueError("pyramid_levels must name at least one grid size, e.g. (1,).")
    levels = tuple(check_positive_int(g, "each pyramid level (grid size)") for g in levels)
    if len(set(levels)) != len(levels):
        raise ValueError(f"pyramid_levels must not repeat a grid size; got {levels}.")
    return levels


class DescriptorEncoder(FaceStackEstimator):
    """Base of the encoders of local descriptors (:class:`BagOfVisualWords`, FisherVector).

    Subclasses have the parameters ``extractor`` (an estimator with
    ``fit`` and ``transform_descriptors``, :data:`EXTRACTOR_CONSTRAINT`;
    None for :class:`~fer_classic.features.DenseSIFT` with its defaults)
    and ``random_state``, and begin ``fit`` with :meth:`_fit_extractor`.
    """

    def _fit_extractor(self, X):
        """Check ``X`` and fit a clone of the extractor to it: ``(faces, rng)``.

        Sets ``image_shape_``, ``n_features_in_``, ``extractor_`` and
        ``positions_`` (the extractor's keypoint centres); ``rng`` is the
        random state of ``random_state``, for the rest of ``fit``.
        """
        faces = self._check_stack(X, reset=True)
        rng = check_random_state(self.random_state)
        extractor = DenseSIFT() if self.extractor is None else clone(self.extractor)
        self.extractor_ = extractor.fit(faces)
        self.positions_ = np.asarray(self.extractor_.positions_)
        return faces, rng


class BagOfVisualWords(DescriptorEncoder):
    """Spatial-pyramid bag of visual words over dense local descriptors.

    ``fit`` extracts descriptors from the faces chunk by chunk, keeps a
    deterministic random sample of ``n_samples`` of them (the same number from
    every face), and clusters it with :class:`~sklearn.cluster.MiniBatchKMeans`
    into ``n_words`` visual words. ``transform`` assigns every descriptor of
    every face to its nearest word and counts the words in each cell of each
    pyramid level.

    Parameters
    ----------
    extractor : estimator or None, default=None
        Local descriptor extractor with ``fit(X)``, ``transform_descriptors(X)
        -> (n, n_keypoints, d)`` and ``positions_`` (keypoint ``(row, col)``
        after fit); None means ``DenseSIFT()`` (step 2, 4-pixel bins: 289
        descriptors per 48x48 face). It is cloned.
    n_words : int, default=1000
        Codebook size.
    n_samples : int, default=200_000
        Descriptors sampled for the k-means codebook.
    n_coarse_words : int or None, default=None
        None: a flat codebook, every descriptor compared with every word.
        An int: a two-level codebook (:func:`fit_two_level_codebook`) of
        ``n_coarse_words`` coarse words, each cell split into words of its
        own, and every descriptor compared with the coarse words and then
        with the words of its cell only. With 10,000 words and 100 coarse
        words that is 50 times fewer distance computations than flat.
    n_probes : int, default=1
        With ``n_coarse_words``: coarse cells whose words are searched for
        each descriptor (its nearest ones; see :func:`assign_words_two_level`).
    pyramid_levels : sequence of int, default=(1, 2)
        Grid sizes of the spatial pyramid: ``(1, 2)`` is the whole face plus a
        2x2 grid (5 cells); ``(1,)`` is a plain bag of words.
    encoding : {'presence', 'histogram'}, default='presence'
        ``'presence'``: 1 if the word occurs in the cell, else 0 (the paper's
        choice); ``'histogram'``: number of occurrences.
    normalize : {'l2', 'l1'} or None, default='l2'
        Norm applied to each pyramid level's block separately (so each level
        contributes a unit-norm vector and a linear kernel on the output is
        the sum of the per-level kernels).
    level_weights : sequence of float or None, default=None
        Multiplies each level's block after normalisation (None: all 1). A
        block scaled by ``w`` scales its linear kernel by ``w**2`` and its
        intersection kernel by ``w``.
    n_init : int, default=3
        k-means restarts (MiniBatchKMeans keeps the best inertia).
    max_iter : int, default=100
        k-means passes over the sample.
    batch_size : int, default=4096
        k-means mini-batch size.
    chunk_size : int, default=512
        Faces per extraction chunk (bounds memory: about 0.6 MB per face for
        default SIFT plus the word-distance blocks).
    sparse_output : bool, default=False
        Return a ``scipy.sparse`` CSR matrix (pays off for large pyramids:
        at most ``n_keypoints * n_levels`` non-zeros per face).
    random_state : int, RandomState instance or None, default=0
        Seeds the descriptor sample and k-means.
    n_jobs : int or None, default=None
        Threads for descriptor extraction and word assignment
        (:func:`fer_classic.utils.parallel.map_chunks`).

    Attributes
    ----------
    extractor_ : estimator
        The fitted descriptor extractor.
    codebook_ : ndarray of shape (n_words, d)
        Visual words (k-means centres), float32; with ``n_coarse_words``,
        grouped by coarse cell.
    coarse_codebook_ : ndarray of shape (n_cells, d) or None
        Coarse words of a two-level codebook (None when flat).
    word_offsets_ : ndarray of shape (n_cells + 1,) or None
        Coarse cell ``c``'s words are ``codebook_[word_offsets_[c]:
        word_offsets_[c + 1]]`` (None when flat).
    n_descriptors_ : int
        Descriptors the codebook was learnt from (``min(n_samples, n_faces *
        n_keypoints)``).
    positions_ : ndarray of shape (n_keypoints, 2)
        Keypoint centres.
    cells_ : ndarray of shape (n_keypoints, n_levels)
        Pyramid cell (global index) of each keypoint at each level.
    n_cells_ : int
        Total number of pyramid cells.
    feature_blocks_ : list of slice
        Columns of each pyramid level in the output, in ``pyramid_levels``
        order (for per-level kernels, e.g.
        :func:`fer_classic.models.kernels.weighted_sum_kernel`).
    image_shape_ : tuple of int
    n_features_in_ : int
        Pixels per face.

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, size=(20, 48, 48))
    >>> bovw = BagOfVisualWords(n_words=8, n_samples=500, n_init=1).fit(faces)
    >>> features = bovw.transform(faces)
    >>> features.shape, bovw.feature_blocks_
    ((20, 40), [slice(0, 8, None), slice(8, 40, None)])
    """

    def __init__(self, extractor=None, n_words=1000, n_samples=200_000, n_coarse_words=None,
                 n_probes=1, pyramid_levels=(1, 2), encoding="presence", normalize="l2",
                 level_weights=None, n_init=3, max_iter=100, batch_size=4096, chunk_size=512,
                 sparse_output=False, random_state=0, n_jobs=None):
        self.extractor = extractor
        self.n_words = n_words
        self.n_samples = n_samples
        self.n_coarse_words = n_coarse_words
        self.n_probes = n_probes
        self.pyramid_levels = pyramid_levels
        self.encoding = encoding
        self.normalize = normalize
        self.level_weights = level_weights
        self.n_init = n_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self.sparse_output = sparse_output
        self.random_state = random_state
        self.n_jobs = n_jobs

    _parameter_constraints = {
        "extractor": EXTRACTOR_CONSTRAINT,
        "n_words": _POSITIVE_INT,
        "n_samples": _POSITIVE_INT,
        "n_coarse_words": [Interval(Integral, 1, None, closed="left"), None],
        "n_probes": _POSITIVE_INT,
        # a sequence of grid sizes is checked in fit (see _check_levels)
        "pyramid_levels": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "encoding": [StrOptions({"histogram", "presence"})],
        "normalize": [StrOptions({"l1", "l2"}), None],
        "level_weights": ["array-like", None],
        "n_init": _POSITIVE_INT,
        "max_iter": _POSITIVE_INT,
        "batch_size": _POSITIVE_INT,
        "chunk_size": _POSITIVE_INT,
        "sparse_output": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
    }

    # ------------------------------------------------------------------ fit
    def _check_params(self):
        """What the parameter constraints cannot say; returns the pyramid levels.

        ``n_coarse_words`` at most ``n_words``, the pyramid levels distinct
        positive ints, one finite non-negative level weight per level.
        """
        if self.n_coarse_words is not None and self.n_coarse_words > self.n_words:
            raise ValueError(f"n_coarse_words must not exceed n_words={self.n_words}; "
                             f"got {self.n_coarse_words}.")
        levels = _check_levels(self.pyramid_levels)
        if self.level_weights is not None:
            w = np.asarray(self.level_weights, dtype=float)
            if w.shape != (len(levels),) or not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError(
                    f"level_weights must hold one finite non-negative weight per pyramid level "
                    f"({len(levels)} for pyramid_levels={levels}); got {self.level_weights!r}.")
        return levels

    @_fit_context(prefer_skip_nested_validation=False)  # the extractor validates its own
    def fit(self, X, y=None):
        """Learn the codebook from a sample of the faces' descriptors.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, 2304)
            Faces.
        y : ignored

        Returns
        -------
        self : BagOfVisualWords
        """
        self._check_params()
        faces, rng = self._fit_extractor(X)
        n = len(faces)
        n_kp = len(self.positions_)
        per_face = min(n_kp, -(-self.n_samples // n))
        if n * per_face < self.n_words:
            raise ValueError(
                f"n_words={self.n_words} visual words need at least as many descriptors, but "
                f"{n} faces x {n_kp} keypoints give only {n * per_face}.")
        sampled, _ = sample_descriptors(self.extractor_, faces, self.n_samples, rng,
                                        chunk_size=self.chunk_size, n_jobs=self.n_jobs)
        self.n_descriptors_ = len(sampled)
        if progress_enabled():
            tree = ("" if self.n_coarse_words is None
                    else f" under {self.n_coarse_words} coarse words")
            log(f"clustering {len(sampled):,} descriptors into {self.n_words} visual words{tree}")
        kmeans_params = dict(n_init=self.n_init, max_iter=self.max_iter,
                             batch_size=self.batch_size)
        if self.n_coarse_words is None:
            self.codebook_ = _kmeans(sampled, self.n_words, rng, kmeans_params)
            self.coarse_codebook_ = self.word_offsets_ = None
        else:
            self.coarse_codebook_, self.codebook_, self.word_offsets_ = fit_two_level_codebook(
                sampled, self.n_words, self.n_coarse_words, random_state=rng, **kmeans_params)
        self._refresh_layout()
        return self

    def _refresh_layout(self):
        """Recompute the pyramid layout (``cells_``, ``feature_blocks_``).

        The codebook does not depend on ``pyramid_levels``, ``encoding``,
        ``normalize`` or ``level_weights``; after changing ``pyramid_levels``
        on a fitted instance, this re-derives the layout without refitting.
        """
        levels = _check_levels(self.pyramid_levels)
        self.cells_ = pyramid_cells(self.positions_, self.image_shape_, levels)
        self.n_cells_ = int(sum(g * g for g in levels))
        self.feature_blocks_ = []
        start = 0
        for g in levels:
            stop = start + g * g * self.n_words
            self.feature_blocks_.append(slice(start, stop))
            start = stop
        self._levels = levels

    # ------------------------------------------------------------ transform
    def transform_words(self, X):
        """Visual word of every keypoint of every face.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of the shape seen in ``fit``.

        Returns
        -------
        words : ndarray of shape (n, n_keypoints), dtype int32
            Index into ``codebook_`` of each descriptor, keypoints ordered as
            ``positions_``. Feed to :meth:`encode` to build features for
            several encodings without re-extracting descriptors.
        """
        check_is_fitted(self)
        faces = self._check_stack(X, reset=False)

        def words(chunk):
            desc = self.extractor_.transform_descriptors(chunk)
            m, k, d = desc.shape
            desc = desc.reshape(m * k, d)
            if self.coarse_codebook_ is None:
                return assign_words(desc, self.codebook_).reshape(m, k)
            return assign_words_two_level(desc, self.coarse_codebook_, self.codebook_,
                                          self.word_offsets_,
                                          n_probes=self.n_probes).reshape(m, k)

        return map_chunks(words, faces, chunk_size=self.chunk_size, n_jobs=self.n_jobs,
                          desc="visual words")

    def encode(self, words):
        """Pyramid presence/histogram features from visual word indices.

        Parameters
        ----------
        words : array-like of shape (n, n_keypoints), int
            As returned by :meth:`transform_words`.

        Returns
        -------
        features : ndarray of shape (n, n_words * n_cells_), float32, or CSR
            ``sparse_output=True`` gives a ``scipy.sparse.csr_matrix``.
        """
        check_is_fitted(self)
        words = np.asarray(words)
        n_kp = len(self.positions_)
        if words.ndim != 2 or words.shape[1] != n_kp or not np.issubdtype(words.dtype,
                                                                          np.integer):
            raise ValueError(f"words must be an integer array of shape (n, {n_kp}); "
                             f"got {words.dtype} array of shape {words.shape}.")
        if words.size and (words.min() < 0 or words.max() >= self.n_words):
            raise ValueError(f"words must lie in [0, {self.n_words}); "
                             f"got values in [{words.min()}, {words.max()}].")
        n = len(words)
        n_feat = self.n_cells_ * self.n_words
        step = 2048
        parts = [self._encode_chunk(words[i:i + step]) for i in range(0, n, step)]
        if self.sparse_output:
            return parts[0] if len(parts) == 1 else sparse.vstack(parts, format="csr")
        if len(parts) == 1:
            return parts[0]
        out = np.empty((n, n_feat), dtype=np.float32)
        for i, part in zip(range(0, n, step), parts):
            out[i:i + len(part)] = part
        return out

    def _encode_chunk(self, words):
        m = len(words)
        n_feat = self.n_cells_ * self.n_words
        # column hit by every (keypoint, level) pair of every face
        cols = (self.cells_[None, :, :] * self.n_words + words[:, :, None]).reshape(m, -1)
        rows = np.repeat(np.arange(m), cols.shape[1])
        counts = sparse.csr_matrix(
            (np.ones(cols.size, dtype=np.float32), (rows, cols.ravel())), shape=(m, n_feat))
        counts.sum_duplicates()
        if self.encoding == "presence":
            counts.data[:] = 1.0
        counts.data *= self._nonzero_factors(counts)
        return counts if self.sparse_output else counts.toarray()

    def _nonzero_factors(self, csr):
        """Per-non-zero factor: level weight / norm of that row's level block."""
        n_levels = len(self.feature_blocks_)
        level_of_col = np.repeat(np.arange(n_levels),
                                 [b.stop - b.start for b in self.feature_blocks_])
        lev = level_of_col[csr.indices]
        row = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        key = row * n_levels + lev
        weights = np.asarray(
            [1.0] * n_levels if self.level_weights is None else self.level_weights,
            dtype=np.float64)
        if self.normalize is None:
            return weights[lev].astype(np.float32)
        vals = csr.data.astype(np.float64)
        vals = np.abs(vals) if self.normalize == "l1" else vals * vals
        norms = np.bincount(key, weights=vals, minlength=csr.shape[0] * n_levels)
        if self.normalize == "l2":
            norms = np.sqrt(norms)
        return (weights[lev] / np.maximum(norms[key], 1e-12)).astype(np.float32)

    def transform(self, X):
        """Spatial-pyramid bag-of-words features of the faces.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of the shape seen in ``fit``.

        Returns
        -------
        features : ndarray of shape (n, n_words * n_cells_), float32, or CSR
            Blocks ordered by pyramid level (``feature_blocks_``), then cell
            (row-major), then word.
        """
        return self.encode(self.transform_words(X))

    def get_feature_names_out(self, input_features=None):
        """Names ``g{grid}_r{row}c{col}_w{word}`` of the output columns."""
        check_is_fitted(self)
        names = []
        for g in self._levels:
            for r in range(g):
                for c in range(g):
                    names.extend(f"g{g}_r{r}c{c}_w{k}" for k in range(self.n_words))
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = False
        return tags
