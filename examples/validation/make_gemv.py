"""Writes the bitnet.cpp GPU kernel benchmark's GEMV operands for `nmp layer`.

microsoft/BitNet gpu/test.py times a (1, K) int8 activation row against an N x K ternary
weight; the 2560 x 6912 case is N = 2560 outputs, K = 6912 inputs (BitNet 2B-4T's
down_proj). Usage: python3 make_gemv.py OUTDIR [N K]. Writes OUTDIR/W.npy (int8 [N, K],
values -1/0/+1, seeded) and OUTDIR/X.npy (float32 [K]).
"""
import sys

import numpy as np

out = sys.argv[1]
n, k = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (2560, 6912)
rng = np.random.default_rng(42)
np.save(f"{out}/W.npy", rng.integers(-1, 2, size=(n, k), dtype=np.int8))
np.save(f"{out}/X.npy", rng.standard_normal(k).astype(np.float32))
