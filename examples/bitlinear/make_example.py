# Regenerates W.npy and X.npy (numpy, seeded): a BitLinear with 200 inputs and 100 outputs
# (ragged for the default machine: 200 = 3 x 64 + 8 lanes, 100 = 3 x 32 + 4 rows) and 3
# tokens. W holds latent float32 weights that nmp ternarizes by absmean, like BitNet.
import numpy as np

rng = np.random.default_rng(2024)
np.save("W.npy", (rng.standard_normal((100, 200)) * 0.02).astype(np.float32))
np.save("X.npy", rng.standard_normal((3, 200)).astype(np.float32))
