"""Products with a float16 matrix: the size of the blocks converted to float32, side by side.

:func:`fer_classic.utils.blockwise.matmul` converts a float16 matrix to
float32 a block of rows at a time and hands each block to BLAS. Its largest
use is the neighbour search of local learning on Fisher vectors (every
test face against the 57,418 x 33,792 Training matrix). This script times
that product, 512 query rows against a random float16 matrix of
Fisher-vector width, for several block sizes in one run, and checks that
every block size gives the same bits as the first (BLAS sums each value in
an order that does not depend on the number of rows of the block). Usage::

    python benchmarks/bench_blockwise.py --out benchmarks/results/blockwise.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_description, peak_memory_mb, write_record  # noqa: E402

from fer_classic.utils.blockwise import BLOCK_BYTES, as_compute, matmul  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=12_000, help="rows of the float16 matrix")
    p.add_argument("--cols", type=int, default=33_792, help="its columns (a Fisher vector's)")
    p.add_argument("--queries", type=int, default=512, help="rows of the other factor")
    p.add_argument("--block-mib", type=int, nargs="+", default=[4, 8, 16, 32, 64],
                   help="block sizes, MiB of float32 (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="best of this many (default: 3)")
    p.add_argument("--out", help="write the Markdown record here")
    args = p.parse_args(argv)
    t0 = time.perf_counter()

    rng = np.random.default_rng(0)
    Y = rng.standard_normal((args.rows, args.cols), dtype=np.float32).astype(np.float16)
    Q = as_compute(rng.standard_normal((args.queries, args.cols), dtype=np.float32)
                   .astype(np.float16))
    flops = 2.0 * args.rows * args.queries * args.cols
    lines = ["| block MiB | seconds (best of {}) | GFLOP/s | time / default's | same bits as "
             "the first |".format(args.repeats), "|---|---|---|---|---|"]
    results, first = [], None
    for mib in args.block_mib:
        best = np.inf
        for _ in range(args.repeats):
            t = time.perf_counter()
            S = matmul(Y, Q, transpose=True, block_bytes=mib * 2**20)
            best = min(best, time.perf_counter() - t)
        first = S if first is None else first
        results.append((mib, best, bool(np.array_equal(S, first))))
    default = dict((m, s) for m, s, _ in results).get(BLOCK_BYTES // 2**20)
    for mib, seconds, same in results:
        ratio = f"{seconds / default:.2f}" if default else "-"
        mark = " (default)" if mib * 2**20 == BLOCK_BYTES else ""
        lines.append(f"| {mib}{mark} | {seconds:.2f} | {flops / seconds / 1e9:.0f} | {ratio} "
                     f"| {'yes' if same else 'NO'} |")
    command = "python benchmarks/bench_blockwise.py" + (
        " " + " ".join(argv if argv is not None else sys.argv[1:]))
    text = "\n".join([
        "# float16 products: block size",
        "",
        f"`matmul` of a float16 matrix of {args.rows:,} x {args.cols:,} by {args.queries} "
        "float32 rows (transposed), one block of rows converted to float32 and multiplied at "
        "a time; the time of each block size beside the default's, in one run.",
        "",
        *lines,
        "",
        f"- command: `{command.strip()}`",
        f"- wall time {time.perf_counter() - t0:.0f} s, peak memory {peak_memory_mb():.0f} MB",
        f"- machine: {machine_description()}",
        "",
    ])
    write_record(text, args.out)


if __name__ == "__main__":
    main()
