"""The ablation of Ionescu et al. (2013), measured with fer_classic.

One dense-SIFT codebook and one word assignment of all faces, then every
combination of encoding (histogram / presence), spatial pyramid (none /
1+2x2+4x4) and learning (global linear SVM / local learning), each scored on
PublicTest and PrivateTest. Usage::

    python benchmarks/ablation_bovw.py --data ../shared/fer2013 \
        --out benchmarks/results/ablation_bovw.md

The codebook settings are those of the registry's ``sift-bovw-linearsvm``
and ``sift-bovw-pyramid-svm`` (1,000 words); local learning is that of
``sift-bovw-local`` without its additions to the paper (the global SVM's
scores; no mirror images here).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_description, write_record  # noqa: E402

from fer_classic import SPLITS  # noqa: E402
from fer_classic.datasets import load_fer2013  # noqa: E402
from fer_classic.registry import get_spec  # noqa: E402
from fer_classic.utils.progress import log  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--out")
    p.add_argument("--n-neighbors", type=int, default=200)
    args = p.parse_args(argv)

    t_start = time.perf_counter()
    data = load_fer2013(args.data)
    splits = [data.get_split(s) for s in SPLITS]
    local_pipe = get_spec("sift-bovw-local").build(0)
    global_pipe = get_spec("sift-bovw-pyramid-svm").build(0)
    # the pyramid's codebook (it does not depend on the pyramid or the encoding: one for all),
    # every level normalised on its own and of weight 1
    bovw = clone(global_pipe.named_steps["bovw"]).set_params(level_weights=None)
    log("fitting the codebook")
    bovw.fit(splits[0][0])
    log("assigning visual words")
    words = [bovw.transform_words(X) for X, _ in splits]
    ys = [y for _, y in splits]

    rows = []
    for pyramid in (False, True):
        for encoding in ["histogram", "presence"]:
            bovw.set_params(encoding=encoding)
            F = [bovw.encode(w) for w in words]
            if not pyramid:  # the pyramid's first level (1x1) is the encoding without one
                F = [f[:, bovw.feature_blocks_[0]] for f in F]
            for learning, clf in [
                ("global", clone(global_pipe.steps[-1][1])),
                ("local", clone(local_pipe.steps[-1][1]).set_params(
                    n_neighbors=args.n_neighbors, global_estimator=None)),
            ]:
                t0 = time.perf_counter()
                clf.fit(F[0], ys[0])
                accs = [np.mean(clf.predict(F[i]) == ys[i]) for i in (1, 2)]
                secs = time.perf_counter() - t0
                rows.append((encoding, "1+2x2+4x4" if pyramid else "none", learning,
                             *accs, secs))
                log(f"{rows[-1]}")

    lines = ["| encoding | spatial pyramid | learning | PublicTest % | PrivateTest % | s |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {e} | {py} | {le} | {100 * a:.2f} | {100 * b:.2f} | {s:.0f} |"
              for e, py, le, a, b, s in rows]
    lines += ["", f"Codebook: {bovw.n_words} words, dense SIFT step 2, 4-pixel bins; "
              f"local learning with k = {args.n_neighbors}; global: linear SVM, C = "
              f"{global_pipe.steps[-1][1].C}.",
              f"Wall time {time.perf_counter() - t_start:.0f} s. Machine: "
              f"{machine_description()}",
              "Command: `python benchmarks/ablation_bovw.py --data ../shared/fer2013 "
              "--out benchmarks/results/ablation_bovw.md`", ""]
    write_record("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
