# Recomputes the layer with numpy, following the Hugging Face BitNet numerics (absmean
# weights, per-token absmax int8 activations, 127 / m computed as reciprocal(m) * 127,
# round half to even), and compares with nmp's outputs:
#   nmp layer --weights W.npy --input X.npy --output Y.npy --accumulators A.npy
#   python3 check.py
import numpy as np

W, X = np.load("W.npy"), np.load("X.npy")
Y, A = np.load("Y.npy"), np.load("A.npy")
gamma = np.float32(np.abs(W).mean(dtype=np.float64))
sw = np.float32(1) / np.maximum(gamma, np.float32(1e-5))
Wq = np.clip(np.round(W * sw), -1, 1)
m = np.abs(X).max(axis=-1, keepdims=True)
s = (np.float32(1) / np.maximum(m, np.float32(1e-5))) * np.float32(127)
xq = np.clip(np.round(X * s), -128, 127)
acc = xq.astype(np.int64) @ Wq.astype(np.int64).T
y = (acc.astype(np.float32) / s) * (np.float32(1) / sw)
print("int32 sums identical:", bool((acc == A).all()))
print("float32 outputs identical:", bool((y == Y).all()))
