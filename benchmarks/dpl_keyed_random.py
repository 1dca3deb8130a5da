"""DPL's keyed random numbers in NumPy, written from Sources/DPLTensor/Random (not from Swift output).

DPL draws every random number from Philox4x32-10 keyed by (seed, purpose, step, call) and the
sample id (docs/purification.md, "Noise keys"). Reproducing the draws here lets a PyTorch twin
purify and attack with *exactly* DPL's noise and random starts, so a disagreement between the
two can only come from the computation, not from a different draw of the randomness.

Layout (RandomKey.swift): purpose = FNV-1a 64 of its name; a = Philox_D(seed, purpose),
b = Philox_D(a xor (step, call)), key = b[0:2], with D = ("DPL1", "keys"). Sample s's stream is
the blocks at counters (s, 0), (s, 1), ... read word by word. Uniform: (word >> 8) * 2^-24.
Normal: Box-Muller in double on two words, u1 = (w1 + 1) 2^-32, u2 = w2 2^-32, both outputs
used in order, rounded to float32.
"""
import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)
DERIVATION_KEY = (0x44504C31, 0x6B657973)


def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 on arrays of 32-bit words held in uint64 (Salmon et al., SC11)."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in (c0, c1, c2, c3))
    k0, k1 = int(k0), int(k1)
    for r in range(10):
        if r > 0:
            k0 = (k0 + W0) & 0xFFFFFFFF
            k1 = (k1 + W1) & 0xFFFFFFFF
        p0 = M0 * c0
        p1 = M1 * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & MASK32
        hi1, lo1 = p1 >> np.uint64(32), p1 & MASK32
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0
    return c0, c1, c2, c3


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _lo(v):
    return v & 0xFFFFFFFF


def _hi(v):
    return (v >> 32) & 0xFFFFFFFF


def philox_key(seed, purpose, step=0, call=0):
    """The 64-bit Philox key of (seed, purpose, step, call), as RandomKey.philoxKey."""
    ph = fnv1a64(purpose)
    step_bits = step & 0xFFFFFFFFFFFFFFFF
    a = [int(x) for x in philox(_lo(seed), _hi(seed), _lo(ph), _hi(ph), *DERIVATION_KEY)]
    b = philox(a[0] ^ _lo(step_bits), a[1] ^ _hi(step_bits), a[2] ^ _lo(call), a[3] ^ _hi(call), *DERIVATION_KEY)
    return int(b[0]), int(b[1])


def stream_words(key, sample_ids, count):
    """`count` 32-bit words of each sample's stream: an array [len(sample_ids), count] (uint64)."""
    ids = np.asarray(sample_ids, dtype=np.uint64)[:, None]
    blocks = (count + 3) // 4
    index = np.arange(blocks, dtype=np.uint64)[None, :]
    c0, c1 = ids & MASK32, ids >> np.uint64(32)
    c2, c3 = index & MASK32, index >> np.uint64(32)
    c0, c1 = np.broadcast_to(c0, (len(sample_ids), blocks)), np.broadcast_to(c1, (len(sample_ids), blocks))
    c2, c3 = np.broadcast_to(c2, c0.shape), np.broadcast_to(c3, c0.shape)
    out = philox(c0, c1, c2, c3, *key)
    words = np.stack(out, axis=-1).reshape(len(sample_ids), blocks * 4)
    return words[:, :count]


def keyed_uniform(shape, seed, purpose, sample_ids, step=0, call=0, low=0.0, high=1.0):
    """Tensor.uniform(shape:key:sampleIDs:low:high:): row n from the stream of sample_ids[n]."""
    per_row = int(np.prod(shape[1:]))
    words = stream_words(philox_key(seed, purpose, step, call), sample_ids, per_row)
    u = (words >> np.uint64(8)).astype(np.float32) * np.float32(2.0 ** -24)
    low32, width32 = np.float32(low), np.float32(np.float32(high) - np.float32(low))
    return (low32 + width32 * u).astype(np.float32).reshape(shape)


def keyed_normal(shape, seed, purpose, sample_ids, step=0, call=0):
    """Tensor.normal(shape:key:sampleIDs:): Box-Muller pairs, both outputs in order."""
    per_row = int(np.prod(shape[1:]))
    pairs = (per_row + 1) // 2
    words = stream_words(philox_key(seed, purpose, step, call), sample_ids, pairs * 2).astype(np.float64)
    u1 = (words[:, 0::2] + 1.0) * 2.0 ** -32
    u2 = words[:, 1::2] * 2.0 ** -32
    radius = np.sqrt(-2.0 * np.log(u1))
    angle = 2.0 * np.pi * u2
    z = np.empty((len(sample_ids), pairs * 2), dtype=np.float64)
    z[:, 0::2] = radius * np.cos(angle)
    z[:, 1::2] = radius * np.sin(angle)
    return z[:, :per_row].astype(np.float32).reshape(shape)


def sample_key(dataset, split, index):
    """SampleID.key: FNV-1a 64 of `dataset/split/index`."""
    return fnv1a64(f"{dataset}/{split}/{index}")


if __name__ == "__main__":
    # Random123's known-answer vectors, as Tests/DPLTensorTests/Random/PhiloxTests.swift checks.
    vectors = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
               ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
               ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
                (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]
    for counter, key, expected in vectors:
        got = tuple(int(x) for x in philox(*counter, *key))
        assert got == expected, (counter, key, got, expected)
    assert fnv1a64("a") == 0xAF63DC4C8601EC8C
    print("philox known-answer vectors: ok")
