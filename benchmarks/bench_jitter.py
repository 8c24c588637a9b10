"""Training-time jitter for the Fisher-vector linear SVM, measured side by side.

``sift-fisher-linearsvm`` trains its linear SVM on the Fisher vectors of the
Training faces and their mirror images. This script adds ``--copies``
jittered copies of each of them (:func:`fer_classic.datasets.jitter_faces`:
small random shifts, rotations and rescalings, which keep the label),
encoded by the same fitted feature steps, and fits the same SVM on the
larger set. Both SVMs score each test face and its mirror image (mean), as
the registry does. PublicTest chooses; PrivateTest is shown and chooses
nothing. The paired test compares each jittered row with the SVM without
jitter of the same ``C`` on the same faces (exact McNemar).

The features and the SVM without jitter come from the bench's caches when a
bench run made them; the jittered Fisher vectors are computed here (held in
float16, as the registry holds its features) and the jittered SVM is cached
beside the features. Usage::

    python benchmarks/bench_jitter.py --data ../shared/fer2013 \\
        --out benchmarks/results/jitter.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from joblib import Memory
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cached_features import (  # noqa: E402
    TESTS, markdown_row, parse_and_start, record_footer,
)
from machine import write_record  # noqa: E402

from fer_classic import SPLITS  # noqa: E402
from fer_classic.datasets import (  # noqa: E402
    get_cache_dir, jitter_faces, load_fer2013, mirror_faces,
)
from fer_classic.models import mirror_averaged_scores  # noqa: E402
from fer_classic.protocol import compute_features  # noqa: E402
from fer_classic.registry import get_spec  # noqa: E402
from fer_classic.runner import feature_cache_key  # noqa: E402
from fer_classic.significance import accuracy_interval, mcnemar_test  # noqa: E402
from fer_classic.utils.progress import log, show_progress  # noqa: E402

PIPELINE = "sift-fisher-linearsvm"


def jittered_training(fitted, F_train, X_train, *, copies, amounts, seed, block=2048):
    """Training features with ``copies`` jittered copies of every row stacked below.

    The rows of ``F_train`` are the Training faces then their mirror images;
    copy ``c`` jitters both with seed ``seed + c``.
    """
    n, d = F_train.shape
    out = np.empty(((1 + copies) * n, d), dtype=F_train.dtype)
    for a in range(0, n, block):
        out[a:min(a + block, n)] = F_train[a:a + block]
    faces = np.concatenate([X_train, mirror_faces(X_train)])
    for c in range(copies):
        jittered = jitter_faces(faces, random_state=seed + c, **amounts)
        for a in range(0, n, block):
            lo = (1 + c) * n + a
            out[lo:lo + min(block, n - a)] = fitted.transform(jittered[a:a + block])
            log(f"jittered copy {c + 1} of {copies}: {min(a + block, n):,} of {n:,} faces")
    return out


def _row(label, C, scores, ys, base=None):
    cells = [label, f"{C:g}"]
    for s in TESTS:
        pred = np.argmax(scores[s], axis=1)
        correct = int(np.sum(pred == ys[s]))
        lo, hi = accuracy_interval(correct, len(ys[s]))
        cells.append(f"{100 * correct / len(ys[s]):.2f} ({100 * lo:.1f}-{100 * hi:.1f})")
        if base is not None:
            test = mcnemar_test(ys[s], pred, np.argmax(base[s], axis=1))
            cells.append(f"{test['only_a']} / {test['only_b']}, p = {test['pvalue']:.3f}")
        else:
            cells.append("")
    return markdown_row(cells)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="FER2013 folder or fer2013.csv")
    p.add_argument("--out", help="write the Markdown table here")
    p.add_argument("--C", type=float, nargs="+", default=[1.0], help="C of the linear SVM")
    p.add_argument("--copies", type=int, default=1, help="jittered copies of each face")
    p.add_argument("--max-shift", type=float, default=2.0, help="pixels")
    p.add_argument("--max-rotation", type=float, default=8.0, help="degrees")
    p.add_argument("--max-scale", type=float, default=0.08, help="relative")
    p.add_argument("--seed", type=int, default=0)
    args, argv, t_start = parse_and_start(p, argv)
    amounts = {"max_shift": args.max_shift, "max_rotation": args.max_rotation,
               "max_scale": args.max_scale}

    data = load_fer2013(args.data)
    splits = {s: data.get_split(s) for s in SPLITS}
    spec = get_spec(PIPELINE)
    pipe = spec.build(args.seed)
    cache = Path(get_cache_dir()) / "features"
    # memory-mapped: the cached Training matrix is read, not held, while the
    # larger jittered one is built
    fitted, F = compute_features(
        pipe, splits, data_key=feature_cache_key(data.fingerprint(), seed=args.seed),
        memory=Memory(str(cache), verbose=0, mmap_mode="r"),
        mirror_train=spec.mirror_train, mirror_test=True, verbose=True, return_fitted=True)
    # plain ndarray views of the memory maps: the SVM cache hashes them as the bench's arrays
    F = {k: np.asarray(v) for k, v in F.items()}
    y_train = np.concatenate([splits["Training"][1]] * 2)
    ys = {s: splits[s][1] for s in TESTS}
    timings, lines = {}, []
    with show_progress():
        t0 = time.perf_counter()
        X_big = jittered_training(fitted, F["Training"], splits["Training"][0],
                                  copies=args.copies, amounts=amounts, seed=args.seed + 1)
        y_big = np.tile(y_train, 1 + args.copies)
        timings["jittered features"] = time.perf_counter() - t0
        for C in args.C:
            scores = {}
            jittered = f"+ {args.copies} jittered cop{'y' if args.copies == 1 else 'ies'}"
            for label, X, y in (("faces + mirror images", F["Training"], y_train),
                                (jittered, X_big, y_big)):
                svm = clone(pipe.steps[-1][1]).set_params(memory=str(cache), estimator__C=C)
                log(f"C = {C:g}, {label}: fitting on {len(y):,} rows")
                t0 = time.perf_counter()
                svm.fit(X, y)
                kind = "without jitter" if X is F["Training"] else "with jitter"
                timings[f"fit C={C:g} {kind}"] = time.perf_counter() - t0
                scores[label] = {s: mirror_averaged_scores(svm, F[s], F[f"{s} mirrored"])
                                 for s in TESTS}
            (plain, s_plain), (jit, s_jit) = scores.items()
            lines += [_row(plain, C, s_plain, ys), _row(jit, C, s_jit, ys, base=s_plain)]
    head = ["Training set", "C", "PublicTest % (95 %)", "vs no jitter", "PrivateTest % (95 %)",
            "vs no jitter"]
    text = [
        markdown_row(head), "|" + "---|" * len(head), *lines, "",
        f"`{PIPELINE}`'s features and linear SVM; jitter: shifts up to {args.max_shift:g} px, "
        f"rotations up to {args.max_rotation:g} degrees, scales within "
        f"{args.max_scale:g} of 1, one draw per face and copy (seed {args.seed + 1} onwards). "
        "Intervals: Wilson, 95 %. 'vs no jitter': faces only the jittered SVM gets right / "
        "only the SVM without jitter gets right, exact McNemar p.",
        *record_footer("bench_jitter.py", argv, timings, t_start, made_by="a full bench run"),
    ]
    write_record("\n".join(text), args.out)


if __name__ == "__main__":
    main()
