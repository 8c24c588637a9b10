"""Fisher vectors over dense local descriptors.

A face is described by how its local descriptors (dense SIFT by default)
deviate from a Gaussian mixture model of all faces' descriptors: for each of
the ``K`` Gaussians, the soft-assignment-weighted mean and variance of the
descriptors relative to that Gaussian (Perronnin et al. 2010, "improved"
Fisher vectors: signed square root, then L2). Each descriptor is first
square-rooted (RootSIFT / Hellinger), reduced by PCA, and extended with its
scaled ``(x, y)`` position, so that the mixture learns where on the face a
pattern occurs as well as what it looks like (the spatial augmentation of
Simonyan et al. 2013) -- a soft spatial pyramid at no extra dimension.

With ``K`` Gaussians over ``d``-dimensional projected descriptors the
vector has ``2 * K * d`` values; it is dense.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils import jit
from ..utils.jit import resolve_backend
from ..utils.parallel import map_chunks
from ..utils.progress import log, progress_enabled
from ._face import N_JOBS_CONSTRAINT
from .bovw import EXTRACTOR_CONSTRAINT, DescriptorEncoder
from .sift import sample_descriptors

__all__ = ["FisherVector", "fisher_vector"]

_DTYPES = {"float32": np.float32, "float16": np.float16}


def fisher_vector(descriptors, means, covariances, weights, *, improved=True,
                  posterior_threshold=0.0, backend="auto"):
    """Fisher vectors of sets of local descriptors under a diagonal GMM.

    Parameters
    ----------
    descriptors : ndarray of shape (n, m, d)
        ``m`` local descriptors of each of ``n`` images.
    means, covariances : ndarray of shape (K, d)
        Means and diagonal variances of the ``K`` Gaussians.
    weights : ndarray of shape (K,)
        Mixture weights (positive, summing to one).
    improved : bool, default=True
        Apply the signed square root and L2 normalisation of each vector.
    posterior_threshold : float, default=0.0
        Drop the posteriors of a descriptor that are below this fraction of
        its largest one, and share its unit of posterior among the others.
        A descriptor lies near a few of the ``K`` Gaussians: with ``1e-4``,
        about 5 posteriors are kept out of 256 on FER2013's dense SIFT, and
        the sums over descriptors are taken over those alone (a sparse
        product), several times faster than over every posterior. 0 keeps
        every posterior (the exact vector).
    backend : {'auto', 'numba', 'numpy'}, default='auto'
        With a ``posterior_threshold``: the sums in one compiled pass over
        each descriptor (:mod:`._fisher_kernels`, ``'auto'`` when Numba is
        installed), or as a sparse matrix product in NumPy / SciPy (the
        reference). The same kept posteriors either way; the sums may differ
        in float32 rounding.

    Returns
    -------
    fv : ndarray of shape (n, 2 * K * d), float32
        Gradients with respect to the means (first ``K * d`` values, Gaussian
        by Gaussian) and to the standard deviations (last ``K * d``),
        averaged over the ``m`` descriptors.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> fv = fisher_vector(rng.normal(size=(3, 50, 4)), np.zeros((2, 4)),
    ...                    np.ones((2, 4)), np.array([0.5, 0.5]))
    >>> fv.shape, np.allclose(np.linalg.norm(fv, axis=1), 1)
    ((3, 16), True)
    """
    z = np.asarray(descriptors, dtype=np.float32)
    n, m, d = z.shape
    mu = np.asarray(means, dtype=np.float32)
    var = np.asarray(covariances, dtype=np.float32)
    w = np.asarray(weights, dtype=np.float32)
    k = len(w)
    inv = 1.0 / var
    # log N(z | mu_k, var_k) + log w_k = [z, z^2] @ W + c_k: one matrix product
    # (separate products and sums cost 4x more, in memory traffic)
    W = np.concatenate([(mu * inv).T, -0.5 * inv.T]).astype(np.float32)
    const = np.log(w) - 0.5 * np.log(var).sum(1) - 0.5 * (mu * mu * inv).sum(1)
    zzz = np.concatenate([z, z * z], axis=2)  # (n, m, 2d)
    logp = zzz.reshape(n * m, 2 * d) @ W
    logp += const
    logp -= logp.max(axis=1, keepdims=True)
    if posterior_threshold > 0 and resolve_backend(backend) == "numba":
        s0 = np.zeros((n, k), np.float32)
        s1 = np.zeros((n, k, d), np.float32)
        s2 = np.zeros((n, k, d), np.float32)
        jit.call(jit.import_kernels("fer_classic.features._fisher_kernels").posterior_sums,
                 logp, np.ascontiguousarray(z.reshape(n * m, d)), m,
                 float(np.log(posterior_threshold)), s0, s1, s2)
        s0 = s0[..., None]
    elif posterior_threshold > 0:
        s0, s12 = _sparse_sums(logp, zzz, n, m, k, float(posterior_threshold))
        s1, s2 = s12[..., :d], s12[..., d:]
    else:
        # posteriors below e^-40 are 0 to float32 sums anyway; clipping keeps exp
        # out of subnormal numbers, which are many times slower to compute with
        np.maximum(logp, -40.0, out=logp)
        gamma = np.exp(logp, out=logp).reshape(n, m, k)
        gamma /= gamma.sum(axis=2, keepdims=True)  # (n, m, K) posteriors
        s0 = gamma.sum(axis=1)[..., None]  # (n, K, 1)
        s12 = gamma.transpose(0, 2, 1) @ zzz  # (n, K, 2d): sums of z and z^2
        s1, s2 = s12[..., :d], s12[..., d:]
    sd = np.sqrt(var)
    g_mu = (s1 - mu * s0) / (sd * np.sqrt(w)[:, None] * m)
    g_sd = (s2 - 2 * mu * s1 + (mu * mu - var) * s0) / (var * np.sqrt(2 * w)[:, None] * m)
    fv = np.concatenate([g_mu.reshape(n, k * d), g_sd.reshape(n, k * d)], axis=1)
    if improved:
        fv = np.sign(fv) * np.sqrt(np.abs(fv))
        fv /= np.maximum(np.linalg.norm(fv, axis=1, keepdims=True), 1e-12)
    return fv.astype(np.float32, copy=False)


def _sparse_sums(logp, zzz, n, m, k, threshold):
    """Posterior sums ``s0 (n, K, 1)`` and ``s12 (n, K, 2d)`` over the kept posteriors.

    ``logp`` holds each descriptor's log posteriors minus their maximum; the
    posteriors of at least ``threshold`` times the largest are kept and
    renormalised, and the sums over each image's descriptors are one sparse
    product with the descriptors.
    """
    from scipy import sparse

    rows, cols = np.nonzero(logp >= np.float32(np.log(threshold)))
    post = np.exp(logp[rows, cols])
    post /= np.bincount(rows, weights=post, minlength=n * m)[rows].astype(np.float32)
    target = (rows // m) * k + cols  # (image, Gaussian) of each kept posterior
    G = sparse.csr_matrix((post, (target, rows)), shape=(n * k, n * m))
    s12 = (G @ zzz.reshape(n * m, -1)).reshape(n, k, -1)
    s0 = np.bincount(target, weights=post, minlength=n * k).reshape(n, k, 1)
    return s0.astype(np.float32), s12.astype(np.float32, copy=False)


def _hellinger(desc):
    """RootSIFT: L1-normalise each descriptor, then take square roots."""
    desc = np.asarray(desc, dtype=np.float32)
    return np.sqrt(desc / np.maximum(desc.sum(axis=-1, keepdims=True), 1e-6))


class FisherVector(DescriptorEncoder):
    """Improved Fisher vectors of dense local descriptors of faces.

    ``fit`` learns, from a sample of Training descriptors, a PCA projection
    and a diagonal Gaussian mixture over projected descriptors extended with
    their positions; ``transform`` encodes each face by
    :func:`fisher_vector`.

    Parameters
    ----------
    extractor : estimator or None, default=None
        Local descriptor extractor with ``fit``, ``transform_descriptors`` and
        ``positions_`` (:class:`~fer_classic.features.DenseSIFT`); ``None``
        means ``DenseSIFT()``.
    n_components : int, default=128
        Gaussians in the mixture.
    pca_components : int, default=64
        Dimensions each descriptor is projected to.
    hellinger : bool, default=True
        Square-root (L1-normalised) descriptors before PCA (RootSIFT).
    spatial_weight : float, default=1.0
        Scale of the ``(x, y)`` position, in face widths from the centre,
        appended to each projected descriptor; 0 appends nothing.
    n_samples : int, default=200_000
        Descriptors sampled (evenly over faces) to fit PCA and the mixture.
    max_iter : int, default=50
        EM iterations of the mixture.
    chunk_size : int, default=256
        Faces encoded at a time (bounds memory: ``chunk_size * keypoints *
        n_components`` posteriors).
    random_state : int, RandomState instance or None, default=0
        Seeds the sample, PCA and the mixture.
    n_jobs : int or None, default=None
        Parallel chunks (joblib semantics).
    posterior_threshold : float, default=0.0
        Posteriors below this fraction of a descriptor's largest are dropped
        (see :func:`fisher_vector`): ``1e-4`` keeps a few of the mixture's
        Gaussians per descriptor and encodes several times faster; 0 keeps
        every posterior.
    dtype : {'float32', 'float16'}, default='float32'
        Dtype of the vectors ``transform`` returns. They are computed in
        float32 either way; ``'float16'`` halves the memory and the on-disk
        cache of large matrices (57,418 x 33,792 values for FER2013 Training
        and its mirror images: 3.9 GB instead of 7.8 GB). The values of an
        improved Fisher vector are of order ``1 / sqrt(n_features)``, well
        within float16's range; its 11-bit significand changes dot products
        between vectors by about 1e-4 relative.
        :class:`~fer_classic.models.LinearSVM` and
        :class:`~fer_classic.models.LocalLearningClassifier` compute with
        float16 input block by block in float32.

    Attributes
    ----------
    extractor_ : estimator
        The fitted descriptor extractor.
    pca_ : sklearn.decomposition.PCA
        Projection of the (square-rooted) descriptors.
    gmm_ : sklearn.mixture.GaussianMixture
        Diagonal mixture over projected descriptors and positions.
    positions_ : ndarray of shape (n_keypoints, 2)
        ``(row, col)`` keypoint centres.
    n_descriptors_ : int
        Descriptors the model was fitted on.
    image_shape_ : tuple of int
    n_features_in_ : int
        Pixels per face.

    Examples
    --------
    >>> from fer_classic.datasets import make_synthetic_faces
    >>> from fer_classic.features import DenseSIFT
    >>> faces = make_synthetic_faces(n_per_class=3, random_state=0).images
    >>> fv = FisherVector(DenseSIFT(step=8), n_components=4, pca_components=8,
    ...                   n_samples=500).fit(faces)
    >>> fv.transform(faces).shape  # 2 * 4 Gaussians * (8 + 2) dimensions
    (21, 80)
    """

    _parameter_constraints = {
        "extractor": EXTRACTOR_CONSTRAINT,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "pca_components": [Interval(Integral, 1, None, closed="left")],
        "hellinger": ["boolean"],
        "spatial_weight": [Interval(Real, 0, np.inf, closed="left")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "posterior_threshold": [Interval(Real, 0, 1, closed="left")],
        "dtype": [StrOptions(set(_DTYPES))],
    }

    def __init__(self, extractor=None, n_components=128, pca_components=64, hellinger=True,
                 spatial_weight=1.0, n_samples=200_000, max_iter=50, chunk_size=256,
                 random_state=0, n_jobs=None, posterior_threshold=0.0, dtype="float32"):
        self.extractor = extractor
        self.n_components = n_components
        self.pca_components = pca_components
        self.hellinger = hellinger
        self.spatial_weight = spatial_weight
        self.n_samples = n_samples
        self.max_iter = max_iter
        self.chunk_size = chunk_size
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.posterior_threshold = posterior_threshold
        self.dtype = dtype

    def _positions_scaled(self):
        h, w = self.image_shape_
        centre = np.array([(h - 1) / 2, (w - 1) / 2])
        return (self.spatial_weight * (self.positions_ - centre) / max(h, w)).astype(np.float32)

    def _project(self, desc, keypoints):
        """PCA-projected descriptors, plus positions; ``desc`` is (m, p, D)."""
        m, p, dims = desc.shape
        if self.hellinger:
            desc = _hellinger(desc)
        # PCA.transform in float32 (sklearn's upcasts to the float64 components)
        mean = self.pca_.mean_.astype(np.float32)
        proj = self.pca_.components_.T.astype(np.float32)
        z = ((desc.reshape(m * p, dims) - mean) @ proj).reshape(m, p, -1)
        if self.spatial_weight:
            xy = self._positions_scaled()[keypoints]
            z = np.concatenate([z, np.broadcast_to(xy, (m, p, 2))], axis=2)
        return z

    @_fit_context(prefer_skip_nested_validation=False)  # the extractor validates its own
    def fit(self, X, y=None):
        """Learn the PCA and the mixture from a sample of the faces' descriptors.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, 2304)
            Faces.
        y : ignored

        Returns
        -------
        self : FisherVector
        """
        faces, rng = self._fit_extractor(X)
        sample, keypoints = sample_descriptors(
            self.extractor_, faces, self.n_samples, rng, chunk_size=self.chunk_size,
            n_jobs=self.n_jobs)
        n_dims = sample.shape[1]
        if self.pca_components > min(len(sample), n_dims):
            raise ValueError(
                f"pca_components={self.pca_components} exceeds what {len(sample)} sampled "
                f"descriptors of {n_dims} values allow ({min(len(sample), n_dims)}).")
        if len(sample) < self.n_components:
            raise ValueError(f"n_components={self.n_components} Gaussians need at least as "
                             f"many descriptors; the faces give only {len(sample)}.")
        if self.hellinger:
            sample = _hellinger(sample)
        seed = rng.randint(np.iinfo(np.int32).max)
        self.pca_ = PCA(n_components=self.pca_components, random_state=seed).fit(sample)
        z = self.pca_.transform(sample).astype(np.float32)
        if self.spatial_weight:
            z = np.concatenate([z, self._positions_scaled()[keypoints]], axis=1)
        if progress_enabled():
            log(f"fitting {self.n_components} Gaussians to {len(z):,} descriptors "
                f"of {z.shape[1]} values")
        self.gmm_ = GaussianMixture(
            n_components=self.n_components, covariance_type="diag", max_iter=self.max_iter,
            reg_covar=1e-4, random_state=seed).fit(z)
        self.n_descriptors_ = len(sample)
        return self

    def transform(self, X):
        """Fisher vector of each face.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of the shape seen in ``fit``.

        Returns
        -------
        features : ndarray of shape (n, 2 * n_components * d)
            ``d = pca_components`` (+ 2 with ``spatial_weight > 0``), of
            the dtype ``dtype`` names.
        """
        check_is_fitted(self)
        # dtype and posterior_threshold may have been set after fit
        self._validate_params()  # scikit-learn's, against _parameter_constraints
        faces = self._check_stack(X, reset=False)
        every = np.arange(len(self.positions_))
        gmm = self.gmm_
        dtype = _DTYPES[self.dtype]

        def encode(chunk):
            z = self._project(self.extractor_.transform_descriptors(chunk), every)
            fv = fisher_vector(z, gmm.means_, gmm.covariances_, gmm.weights_,
                               posterior_threshold=self.posterior_threshold)
            return fv.astype(dtype, copy=False)

        return map_chunks(encode, faces, chunk_size=self.chunk_size, n_jobs=self.n_jobs,
                          desc="Fisher vectors")

    def get_feature_names_out(self, input_features=None):
        """Names ``fv_{mu|sigma}_g{gaussian}_{dimension}`` of the output columns.

        The gradients with respect to the means come first, then those with
        respect to the standard deviations, Gaussian by Gaussian; the
        dimensions of each are the PCA components ``pca0``, ``pca1``, ...
        followed, with ``spatial_weight > 0``, by the keypoint's ``row`` and
        ``col``.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        names : ndarray of str objects, shape (2 * n_components * d,)
        """
        check_is_fitted(self)
        k, d = self.gmm_.means_.shape
        dims = [f"pca{j}" for j in range(self.pca_.n_components_)] + ["row", "col"]
        dims = dims[:d]
        return np.asarray(
            [f"fv_{part}_g{g}_{dim}"
             for part in ("mu", "sigma") for g in range(k) for dim in dims],
            dtype=object,
        )
