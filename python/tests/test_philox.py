"""nninit.torch with seed=/name=: counter-based values keyed by (seed, name).

- an independent pure-Python Philox4x32-10 + FNV-1a + uniform transform reproduces the
  uniform values bit for bit (f32 and f64), so the key layout is the documented one;
- the values equal `nninit fill --rng philox --seed S --name NAME` (when the CLI has --name);
- any block, strides, device path or thread count gives the same values (layout invariance).
"""

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

import nninit
import nninit.torch as nt
from nninit import _nninit as native

M32 = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    """Random123 philox4x32-10, written from the paper's definition."""
    c, k = list(ctr), list(key)
    for r in range(10):
        if r:
            k = [(k[0] + 0x9E3779B9) & M32, (k[1] + 0xBB67AE85) & M32]
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k[0]) & M32, p1 & M32, ((p0 >> 32) ^ c[3] ^ k[1]) & M32, p0 & M32]
    return c


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & ((1 << 64) - 1)
    return h


def block(seed, stream, b):
    return philox4x32_10(
        [b & M32, b >> 32, stream & M32, stream >> 32], [seed & M32, (seed >> 32) & M32]
    )


def ref_uniform_f32(seed, name, n, lo, hi):
    """Element i: u = (w_i >> 8)·2^-24 from word i&3 of block i>>2; lo + u·(hi−lo) in f32."""
    s = fnv1a64(name)
    lo32, hi32 = np.float32(lo), np.float32(hi)
    r = np.float32(hi32 - lo32)
    out = np.empty(n, np.float32)
    for i in range(n):
        w = block(seed, s, i >> 2)[i & 3]
        y = lo32 + np.float32((w >> 8) * 2.0**-24) * r
        out[i] = lo32 if y >= hi32 else y
    return out


def ref_uniform_f64(seed, name, n, lo, hi):
    """Element i: the two words 2j, 2j+1 (j = i&1) of block i>>1 as a 64-bit integer, top 53
    bits · 2^-53; lo + u·(hi−lo) in f64."""
    s = fnv1a64(name)
    out = np.empty(n, np.float64)
    for i in range(n):
        w = block(seed, s, i >> 1)
        j = (i & 1) * 2
        u = (((w[j] << 32) | w[j + 1]) >> 11) * 2.0**-53
        y = lo + u * (hi - lo)
        out[i] = lo if y >= hi else y
    return out


def test_reference_kat():
    # Random123 known-answer vectors (kat_vectors: philox4x32 10 rounds)
    assert philox4x32_10([0, 0, 0, 0], [0, 0]) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
    assert philox4x32_10([M32] * 4, [M32, M32]) == [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]
    assert native.stream_id("fc1.weight") == fnv1a64("fc1.weight")


@pytest.mark.parametrize("seed,name", [(0, "fc1.weight"), (2**40 + 7, "layers.3.attn.wq.weight"), (1, "")])
def test_uniform_matches_independent_reference(seed, name):
    n = 37
    t = nt.uniform_(torch.empty(n), -0.25, 0.5, seed=seed, name=name)
    assert np.array_equal(t.numpy().view(np.uint32), ref_uniform_f32(seed, name, n, -0.25, 0.5).view(np.uint32))
    t = nt.uniform_(torch.empty(n, dtype=torch.float64), -0.25, 0.5, seed=seed, name=name)
    assert np.array_equal(t.numpy().view(np.uint64), ref_uniform_f64(seed, name, n, -0.25, 0.5).view(np.uint64))


def _cli():
    """The nninit binary, if it has `fill --name` (NNINIT_BIN or this checkout's target/)."""
    root = Path(__file__).resolve().parents[2]
    cands = [os.environ.get("NNINIT_BIN"), root / "target/release/nninit", root / "target/debug/nninit",
             shutil.which("nninit")]
    for c in cands:
        if c and Path(c).is_file():
            h = subprocess.run([str(c), "fill", "--help"], capture_output=True, text=True)
            if "--name" in h.stdout:
                return str(c)
    return None


CLI_CASES = [
    ("normal:0.02", (64, 33), "f32", lambda t: nt.normal_(t, 0.0, 0.02, seed=5, name="wte.weight"), "wte.weight"),
    ("kaiming_uniform", (16, 12), "f64", lambda t: nt.kaiming_uniform_(t, seed=5, name="fc.weight"), "fc.weight"),
    ("trunc_normal:0.02", (40, 7), "f32", lambda t: nt.init_(t, "trunc_normal:0.02", seed=5, name="w"), "w"),
    ("xavier_normal", (9, 9, 3), "bf16", lambda t: nt.xavier_normal_(t, seed=5, name="conv.weight"), "conv.weight"),
    ("orthogonal", (6, 10), "f32", lambda t: nt.orthogonal_(t, seed=5, name="q"), "q"),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_equals_cli(case):
    cli = _cli()
    if cli is None:
        pytest.skip("no nninit binary with `fill --name` (build nninit-cli, or set NNINIT_BIN)")
    spec, shape, dtype, fill, name = case
    out = subprocess.run(
        [cli, "fill", "--rng", "philox", "--seed", "5", "--name", name, "--init", spec,
         "--shape", ",".join(map(str, shape)), "--dtype", dtype, "--out", "-"],
        capture_output=True, text=True, check=True,
    )
    want = torch.tensor(json.loads(out.stdout)["data"], dtype=torch.float64)
    tdt = {"f32": torch.float32, "f64": torch.float64, "bf16": torch.bfloat16}[dtype]
    got = fill(torch.empty(shape, dtype=tdt)).to(torch.float64).flatten()
    assert torch.equal(got, want)


SCHEMES = [
    "normal:0.02", "uniform:-0.1,0.3", "trunc_normal:0.02", "trunc_normal:mean=0,std=1,a=1.5,b=2.5",
    "kaiming_uniform", "kaiming_normal:mode=fan_out,nonlinearity=relu", "xavier_uniform",
    "glorot_normal", "he_uniform", "constant:0.5", "ones", "zeros", "orthogonal:gain=2", "eye",
    "sparse:0.5,0.1",
]
DTYPES = [torch.float32, torch.float64, torch.bfloat16, torch.float16]


def whole(spec, shape, dtype, seed=3, name="t", threads=1):
    return nt.init_(torch.empty(shape, dtype=dtype), spec, seed=seed, name=name, threads=threads)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("spec", SCHEMES)
def test_threads_and_strides_invariance(spec, dtype):
    shape = (37, 29) if spec != "eye" else (30, 41)
    ref = whole(spec, shape, dtype)
    for threads in (2, 7, None):
        assert torch.equal(whole(spec, shape, dtype, threads=threads), ref)
    # a non-contiguous CPU view is filled in place, by logical (global) index
    base = torch.zeros(shape[1], shape[0], dtype=dtype)
    nt.init_(base.t(), spec, seed=3, name="t", threads=3)
    assert torch.equal(base.t(), ref)
    wide = torch.zeros(shape[0], 2 * shape[1], dtype=dtype)
    nt.init_(wide[:, ::2], spec, seed=3, name="t")
    assert torch.equal(wide[:, ::2], ref)
    assert torch.count_nonzero(wide[:, 1::2]) == 0, "a strided fill wrote outside its view"


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("spec", ["normal:0.02", "trunc_normal:0.02", "kaiming_uniform", "orthogonal", "dirac:groups=2"])
def test_blocks_equal_whole(spec, dtype):
    """Random sub-blocks (arbitrary index lists per dim, strided outputs) equal the slices of
    the whole fill; seeded by case index."""
    shape = (6, 4, 3, 5) if spec.startswith("dirac") else (23, 6, 19)
    ref = whole(spec, shape, dtype)
    rng = random.Random(hash((spec, str(dtype))) & 0xFFFF)
    for trial in range(12):
        index = []
        for n in shape:
            k = rng.randint(0, n)
            ix = sorted(rng.sample(range(n), k)) if trial % 3 else list(range(rng.randint(0, n), n))
            index.append(ix)
        local = tuple(len(ix) for ix in index)
        # local buffer: contiguous, or a transposed view
        if trial % 2:
            out = torch.full(local[::-1], 7.0, dtype=dtype).permute(*reversed(range(len(local))))
        else:
            out = torch.full(local, 7.0, dtype=dtype)
        native.philox_fill(out.data_ptr(), str(dtype).split(".")[1], native.canonical_init(spec),
                           list(shape), 3, "t", index=index, strides=list(out.stride()),
                           threads=rng.choice([1, 2, 5]))
        want = ref[np.ix_(*index)] if all(local) else torch.empty(local, dtype=dtype)
        assert torch.equal(out, want), f"block {local} differs"


def test_range_api_equals_whole():
    ref = whole("normal:0.02", (100, 10), torch.float32)
    out = torch.empty(333)
    native.philox_fill_range(out.data_ptr(), "float32", "normal:0.02", [100, 10], 3, "t", 400, 333)
    assert torch.equal(out, ref.flatten()[400:733])
    with pytest.raises(ValueError, match="not inside"):
        native.philox_fill_range(out.data_ptr(), "float32", "normal:0.02", [100, 10], 3, "t", 800, 333)


def test_names_and_seeds_give_independent_streams():
    a = whole("normal", (1000,), torch.float32, seed=1, name="a")
    b = whole("normal", (1000,), torch.float32, seed=1, name="b")
    c = whole("normal", (1000,), torch.float32, seed=2, name="a")
    assert not torch.equal(a, b) and not torch.equal(a, c)
    # and unlike PyTorch's stream, nothing global is consumed
    torch.manual_seed(0)
    before = torch.default_generator.get_state()
    whole("normal", (1000,), torch.float32, seed=1, name="a")
    assert torch.equal(before, torch.default_generator.get_state())


def test_statistics_normal_and_uniform():
    """n = 10^6 draws, 6-sigma bands (two-sided false-positive rate ~2e-9 each):
    mean |x̄ − μ| <= 6σ/√n; variance |s² − σ²| <= 6·√((μ4 − σ⁴)/n) with μ4 = 3σ⁴ (normal) and
    9σ⁴/5 (uniform)."""
    n = 1_000_000
    x = whole("normal:mean=0.5,std=2", (n,), torch.float64, seed=9, name="stats").numpy()
    assert abs(x.mean() - 0.5) <= 6 * 2 / np.sqrt(n)
    assert abs(x.var() - 4) <= 6 * np.sqrt((3 * 16 - 16) / n)
    u = whole("uniform:-1,1", (n,), torch.float64, seed=9, name="stats").numpy()
    s2 = 4 / 12
    assert abs(u.mean()) <= 6 * np.sqrt(s2 / n)
    assert abs(u.var() - s2) <= 6 * np.sqrt((9 * s2**2 / 5 - s2**2) / n)
    assert u.min() >= -1 and u.max() < 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_equals_cpu():
    for spec in ("normal:0.02", "kaiming_uniform", "orthogonal"):
        ref = whole(spec, (64, 48), torch.bfloat16)
        t = torch.empty(64, 48, dtype=torch.bfloat16, device="cuda")
        nt.init_(t, spec, seed=3, name="t")
        assert torch.equal(t.cpu(), ref)


def test_overlap_check_is_exact():
    """Overlapping strided tensors are refused; interleaved but disjoint ones are filled with
    the values of their global indices."""
    full = torch.empty(8)
    with pytest.raises(ValueError, match="overlap"):
        nt.uniform_(full.as_strided((2, 2, 2), (1, 2, 3)), seed=0, name="w")  # [0,0,1] = [1,1,0]
    buf = torch.zeros(8)
    v = buf.as_strided((3, 2), (2, 3))  # offsets 0,3,2,5,4,7: disjoint
    nt.uniform_(v, seed=0, name="w")
    ref = nt.uniform_(torch.empty(3, 2), seed=0, name="w")
    assert torch.equal(v, ref)
    assert buf[1] == 0 and buf[6] == 0  # nothing written outside the view
