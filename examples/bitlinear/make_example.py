# Regenerates W.npy and X.npy (numpy, seeded): a BitLinear with 200 inputs and 100 outputs
# (ragged for the default machine: 200 = 3 x 64 + 8 lanes, 100 = 3 x 32 + 4 rows) and 3
# tokens. W holds latent float32 weights that nmp ternarizes by absmean, like BitNet.
import numpy as np

rng = np.random.default_rng(2024)
np.save("W.npy", (rng.standard_normal((100, 200)) * 0.02).astype(np.float32))
np.save("X.npy", rng.standard_normal((3, 200)).astype(np.float32))

# Wq.npy: the same weights ternarized (int8 -1/0/+1), as a checkpoint stores them, for
# `nmp layer --weights Wq.npy --weight-scale GAMMA`. GAMMA (printed) is 1 / sw with
# sw = 1 / max(mean|W|, 1e-5), the value a +1 weight dequantizes to (HF WeightQuant).
W = np.load("W.npy")
sw = np.float32(1) / np.maximum(np.abs(W).mean(dtype=np.float64).astype(np.float32), np.float32(1e-5))
np.save("Wq.npy", np.clip(np.round(W * sw), -1, 1).astype(np.int8))
print("GAMMA =", repr(float(np.float32(1) / sw)))
