"""Features are the same bits whatever the chunk size, the batch composition or n_jobs."""

import numpy as np
import pytest
from scipy import sparse

from fer_classic.datasets import mirror_faces
from fer_classic.features import HOG, LBP, BagOfVisualWords, DenseSIFT, FisherVector, Pixels


def _faces(n=11, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 48)).astype(np.uint8)


def _dense(F):
    return F.toarray() if sparse.issparse(F) else np.asarray(F)


# (factory of the extractor given its chunk_size and n_jobs; chunk sizes to try)
EXTRACTORS = {
    "Pixels": lambda c, j: Pixels(equalize=True),
    "HOG": lambda c, j: HOG(n_jobs=j),
    "LBP": lambda c, j: LBP(n_jobs=j),
    "DenseSIFT": lambda c, j: DenseSIFT(step=6, chunk_size=c, n_jobs=j),
    "BagOfVisualWords": lambda c, j: BagOfVisualWords(
        extractor=DenseSIFT(step=6), n_words=8, n_samples=300, n_init=1, chunk_size=c,
        n_jobs=j, random_state=0),
    "FisherVector": lambda c, j: FisherVector(
        DenseSIFT(step=6), n_components=3, pca_components=6, n_samples=300, chunk_size=c,
        n_jobs=j, random_state=0),
}


@pytest.mark.parametrize("name", list(EXTRACTORS))
def test_features_do_not_depend_on_chunks_batches_or_threads(name):
    faces = _faces()
    ref_est = EXTRACTORS[name](512, 1).fit(faces)
    ref = _dense(ref_est.transform(faces))
    for chunk, jobs in [(1, 1), (4, 2), (7, 1), (512, 2)]:
        est = EXTRACTORS[name](chunk, jobs).fit(faces)
        np.testing.assert_array_equal(_dense(est.transform(faces)), ref,
                                      err_msg=f"chunk_size={chunk}, n_jobs={jobs}")
    # a face's features do not depend on the faces stacked with it
    alone = np.concatenate([_dense(ref_est.transform(faces[i:i + 1])) for i in range(3)])
    np.testing.assert_array_equal(alone, ref[:3])
    stacked = _dense(ref_est.transform(np.concatenate([faces[:3], mirror_faces(faces[:3])])))
    np.testing.assert_array_equal(stacked[:3], ref[:3])
