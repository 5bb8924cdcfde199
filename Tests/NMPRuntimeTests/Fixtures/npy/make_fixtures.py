"""Writes the .npy fixtures of NPYTests.swift with real numpy (run from this folder:
`python3 make_fixtures.py`; the committed files came from numpy 2.4.6).

Each file's name says what it holds; NPYTests.swift knows the expected contents (values
that read back) or the expected error (files nmp must reject)."""
import io
import numpy as np


def save(name, array, version=None, allow_pickle=False):
    buffer = io.BytesIO()
    if version is None:
        np.save(buffer, array, allow_pickle=allow_pickle)  # picks the oldest fitting version
    else:
        np.lib.format.write_array(buffer, array, version=version, allow_pickle=allow_pickle)
    with open(name, "wb") as f:
        f.write(buffer.getvalue())


# Read back by nmp.
save("f4_2x3_v1.npy", np.arange(6, dtype="<f4").reshape(2, 3) * 0.25 - 0.5)
save("f2_6_v1.npy", np.array([0x3800, 0x8000, 0x0003, 0x7BFF, 0xFC00, 0x7E00], dtype="<u2").view("<f2"))
save("i1_2x2x2_v1.npy", np.array([-128, -1, 0, 1, 2, 3, 126, 127], dtype="i1").reshape(2, 2, 2))
save("i4_4_v1.npy", np.array([-2**31, -1, 0, 2**31 - 1], dtype="<i4"))
save("f4_scalar_v1.npy", np.array(3.5, dtype="<f4"))
save("i4_0x4_v1.npy", np.zeros((0, 4), dtype="<i4"))
save("f4_3x4_v2.npy", np.arange(12, dtype="<f4").reshape(3, 4), version=(2, 0))
save("i1_7_v3.npy", np.arange(-3, 4, dtype="i1"), version=(3, 0))
# float64, which nmp converts to float32 as numpy's astype(np.float32) does (nearest,
# ties to even; 1e39 overflows to inf, -1e-50 underflows to -0.0).
save("f8_5_v1.npy", np.array([0.1, 1 / 3, -1e-50, 16777217.0, 1e39], dtype="<f8"))
save("f2_2x2_v3.npy", np.array([[1.0, -2.0], [0.099975586, 65504.0]], dtype="<f2"), version=(3, 0))

# Rejected by nmp.
save("bad_fortran_3x4.npy", np.asfortranarray(np.arange(12, dtype="<f4").reshape(3, 4)))
save("bad_bigendian_f4_3.npy", np.array([1.0, 2.0, 3.0], dtype=">f4"))
save("bad_object_2.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
save("bad_structured_2.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
save("bad_unicode_2.npy", np.array(["ab", "c"]))
save("bad_u1_4.npy", np.array([0, 1, 254, 255], dtype="u1"))
