"""nninit.torch without seed= is torch.nn.init, bit for bit, and leaves the generator in the
same state (get_state() bytes compared), for f32/bf16/f64/f16, contiguous and strided tensors,
the default generator and generator=."""

import math
import warnings

import pytest
import torch

import nninit.torch as nt

DTYPES = [torch.float32, torch.bfloat16, torch.float64, torch.float16]
# < 16 elements (double path), exactly 16, a multiple of 16, not a multiple (tail block)
SHAPES = [(3, 5), (4, 4), (8, 32), (17, 3), (2, 3, 5, 5)]
INT_VIEW = {
    torch.float32: torch.int32,
    torch.float64: torch.int64,
    torch.bfloat16: torch.int16,
    torch.float16: torch.int16,
}


@pytest.fixture(autouse=True, params=["default", "all_native"])
def native_draws(request, monkeypatch):
    """Every test twice: as shipped (normal/trunc_normal drawn by PyTorch, uniform by nninit)
    and with all three drawn by nninit's own implementation of PyTorch's stream."""
    if request.param == "all_native":
        monkeypatch.setattr(nt, "_NATIVE_TORCH_DRAWS", {"uniform", "normal", "trunc_normal"})
    return request.param


def bits(t):
    return t.contiguous().view(INT_VIEW[t.dtype])


def run(fn, make, seed, use_gen, warm=None):
    """Seeds the generator, optionally draws ``warm`` first, fills ``make()`` with ``fn`` and
    returns (tensor, generator state after)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed + 1) if use_gen else None
    gen = g if use_gen else torch.default_generator
    if warm is not None:
        warm(gen)
    t = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn(t, g)
    return t, gen.get_state(), torch.default_generator.get_state()


def assert_same(fn_torch, fn_ours, make, seed=0, use_gen=False, warm=None):
    a, ga, da = run(fn_torch, make, seed, use_gen, warm)
    b, gb, db = run(fn_ours, make, seed, use_gen, warm)
    assert a.dtype == b.dtype and a.shape == b.shape and a.stride() == b.stride()
    assert torch.equal(bits(a), bits(b)), f"values differ: {a.flatten()[:6]} vs {b.flatten()[:6]}"
    assert torch.equal(ga, gb), "generator state differs after the fill"
    assert torch.equal(da, db), "default generator state differs after the fill"


# (name, torch.nn.init call, nninit.torch call) — each takes (tensor, generator)
CASES = [
    ("uniform", lambda t, g: torch.nn.init.uniform_(t, -0.3, 0.7, g),
     lambda t, g: nt.uniform_(t, -0.3, 0.7, g)),
    ("uniform01", lambda t, g: torch.nn.init.uniform_(t, generator=g),
     lambda t, g: nt.uniform_(t, generator=g)),
    ("normal", lambda t, g: torch.nn.init.normal_(t, 0.1, 0.5, g),
     lambda t, g: nt.normal_(t, 0.1, 0.5, g)),
    ("trunc_normal", lambda t, g: torch.nn.init.trunc_normal_(t, generator=g),
     lambda t, g: nt.trunc_normal_(t, generator=g)),
    ("trunc_normal_0.02", lambda t, g: torch.nn.init.trunc_normal_(t, 0.0, 0.02, -0.03, 0.03, g),
     lambda t, g: nt.trunc_normal_(t, 0.0, 0.02, -0.03, 0.03, g)),
    # p = Phi(2.5) - Phi(1.5) = 0.06 <= 0.3: the uniform-proposal rejection branch
    ("trunc_normal_tail", lambda t, g: torch.nn.init.trunc_normal_(t, 0.0, 1.0, 1.5, 2.5, g),
     lambda t, g: nt.trunc_normal_(t, 0.0, 1.0, 1.5, 2.5, g)),
    ("xavier_uniform", lambda t, g: torch.nn.init.xavier_uniform_(t, 1.3, g),
     lambda t, g: nt.xavier_uniform_(t, 1.3, g)),
    ("xavier_normal", lambda t, g: torch.nn.init.xavier_normal_(t, generator=g),
     lambda t, g: nt.xavier_normal_(t, generator=g)),
    ("kaiming_uniform", lambda t, g: torch.nn.init.kaiming_uniform_(t, generator=g),
     lambda t, g: nt.kaiming_uniform_(t, generator=g)),
    ("kaiming_uniform_linear",
     lambda t, g: torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5), generator=g),
     lambda t, g: nt.kaiming_uniform_(t, a=math.sqrt(5), generator=g)),
    ("kaiming_normal",
     lambda t, g: torch.nn.init.kaiming_normal_(t, 0, "fan_out", "relu", g),
     lambda t, g: nt.kaiming_normal_(t, 0, "fan_out", "relu", g)),
    ("kaiming_normal_leaky",
     lambda t, g: torch.nn.init.kaiming_normal_(t, 0.2, "FAN_IN", "leaky_relu", g),
     lambda t, g: nt.kaiming_normal_(t, 0.2, "FAN_IN", "leaky_relu", g)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("use_gen", [False, True], ids=["default_gen", "generator"])
def test_bit_identical(case, shape, dtype, use_gen):
    _, ft, fo = case
    assert_same(ft, fo, lambda: torch.empty(shape, dtype=dtype), seed=7, use_gen=use_gen)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (8, 32), (6, 2, 3)], ids=str)
def test_orthogonal_bit_identical(shape, dtype):
    assert_same(lambda t, g: torch.nn.init.orthogonal_(t, 1.5, g),
                lambda t, g: nt.orthogonal_(t, 1.5, g),
                lambda: torch.empty(shape, dtype=dtype), seed=3, use_gen=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sparse_bit_identical(dtype):
    # the permutations come from the default generator in both (PyTorch's rule)
    for use_gen in (False, True):
        assert_same(lambda t, g: torch.nn.init.sparse_(t, 0.3, 0.02, g),
                    lambda t, g: nt.sparse_(t, 0.3, 0.02, g),
                    lambda: torch.empty(10, 6, dtype=dtype), seed=11, use_gen=use_gen)


VIEWS = [
    ("transposed", lambda dt: torch.empty(5, 8, dtype=dt).t()),
    ("sliced", lambda dt: torch.empty(6, 20, dtype=dt)[:, ::2]),
    ("permuted", lambda dt: torch.empty(4, 3, 5, dtype=dt).permute(2, 0, 1)),
    ("narrow", lambda dt: torch.empty(7, 40, dtype=dt)[1:6, 3:30]),
    ("small_t", lambda dt: torch.empty(3, 2, dtype=dt).t()),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("view", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "trunc_normal_tail"],
                         ids=[c[0] for c in CASES if c[0] != "trunc_normal_tail"])
def test_non_contiguous(case, view, dtype):
    _, ft, fo = case
    assert_same(ft, fo, lambda: view[1](dtype), seed=5)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_cached_normal_carries_over(dtype):
    # a 1-element float64 randn leaves PyTorch's cached second Box-Muller sample; the next
    # small normal_ must consume it
    warm = lambda g: torch.randn(1, dtype=torch.float64, generator=g)  # noqa: E731
    for use_gen in (False, True):
        assert_same(lambda t, g: torch.nn.init.normal_(t, 0.0, 2.0, g),
                    lambda t, g: nt.normal_(t, 0.0, 2.0, g),
                    lambda: torch.empty(5, dtype=dtype), seed=2, use_gen=use_gen, warm=warm)


def test_long_stream_crosses_twists():
    # > 624 words: the mt19937 state twists several times inside one fill
    for n in (623, 624, 625, 5000):
        assert_same(lambda t, g: torch.nn.init.uniform_(t, generator=g),
                    lambda t, g: nt.uniform_(t, generator=g),
                    lambda: torch.empty(n), seed=n)
        assert_same(lambda t, g: torch.nn.init.normal_(t, generator=g),
                    lambda t, g: nt.normal_(t, generator=g),
                    lambda: torch.empty(n, dtype=torch.float64), seed=n)


def test_zero_element_and_fresh_state():
    # a generator right after manual_seed (PyTorch writes next = 0) is left byte-identical
    for fn in (nt.uniform_, nt.normal_, nt.trunc_normal_):
        g = torch.Generator().manual_seed(4)
        before = g.get_state()
        fn(torch.empty(0, 3), generator=g)
        assert torch.equal(before, g.get_state())
    with pytest.warns(UserWarning, match="zero-element"):
        nt.kaiming_uniform_(torch.empty(0, 3))


def test_returns_tensor_and_autograd_version():
    w = torch.nn.Parameter(torch.empty(4, 4))
    v = w._version
    assert nt.uniform_(w) is w
    assert w._version > v
    assert nt.normal_(w, seed=1, name="w") is w


def test_meta_is_noop_without_seed():
    m = torch.empty(3, 4, device="meta")
    for fn in (nt.uniform_, nt.normal_, nt.trunc_normal_, nt.kaiming_uniform_):
        assert fn(m) is m


def test_errors():
    with pytest.raises(TypeError, match="float32"):
        nt.uniform_(torch.empty(3, dtype=torch.int32))
    with pytest.raises(TypeError, match="float32"):
        nt.normal_(torch.empty(3, dtype=torch.complex64), seed=0, name="x")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nt.xavier_uniform_(torch.empty(5))
    with pytest.raises(ValueError, match="at least 2 dims"):
        nt.kaiming_normal_(torch.empty(5), seed=0, name="x")
    with pytest.raises(ValueError, match="Mode fan_mid not supported"):
        nt.kaiming_uniform_(torch.empty(3, 3), mode="fan_mid")
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nt.kaiming_normal_(torch.empty(3, 3), mode="fan_avg", seed=0, name="w")
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nt.kaiming_normal_(torch.empty(3, 3), nonlinearity="gelu", seed=0, name="w")
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nt.kaiming_uniform_(torch.empty(3, 3), nonlinearity="swish")
    with pytest.raises(ValueError, match="std must be"):
        nt.normal_(torch.empty(3), 0.0, -1.0, seed=0, name="w")
    with pytest.raises(ValueError, match="needs name="):
        nt.normal_(torch.empty(3), seed=1)
    with pytest.raises(ValueError, match="needs seed="):
        nt.normal_(torch.empty(3), name="w")
    with pytest.raises(ValueError, match="not both"):
        nt.normal_(torch.empty(3), generator=torch.Generator(), seed=1, name="w")
    with pytest.raises(ValueError, match=r"\[0, 2\*\*64\)"):
        nt.normal_(torch.empty(3), seed=-1, name="w")
    with pytest.raises(ValueError, match="meta device"):
        nt.normal_(torch.empty(3, device="meta"), seed=1, name="w")
    with pytest.raises(ValueError, match="overlap"):
        nt.normal_(torch.empty(1, 3).expand(4, 3), seed=1, name="w")
    with pytest.raises(ValueError, match="unknown init"):
        nt.init_(torch.empty(3, 3), "kaiming_fancy", seed=1, name="w")
    with pytest.raises(ValueError, match="unknown init"):
        nt.init_(torch.empty(3, 3), "kaiming_fancy")
    with pytest.raises(ValueError, match="rank 2"):
        nt.eye_(torch.empty(3, 3, 3), seed=1, name="w")
    with pytest.raises(ValueError, match="trunc_normal"):
        nt.trunc_normal_(torch.empty(3), 0.0, 1.0, 2.0, 1.0, seed=0, name="w")
    with pytest.raises(ValueError, match="f32"):
        nt.uniform_(torch.empty(3), -1e39, 1e39, seed=1, name="w")


def _bytes(st):
    return bytes(st.tolist())


@pytest.mark.parametrize("draws", [0, 1, 623, 624, 625, 2000])
def test_generator_state_layout(draws):
    """The 5056-byte CPUGeneratorImplState: imported, advanced and exported by nninit equals
    what torch reports after the same draws (every mt19937 position around a twist, and the
    cached normal sample)."""
    from nninit import _nninit as native

    g = torch.Generator().manual_seed(99)
    if draws:
        torch.rand(draws, generator=g)
    torch.randn(1, dtype=torch.float64, generator=g)  # leaves a cached normal sample
    st = g.get_state()
    assert st.numel() == native.TORCH_STATE_BYTES
    empty = torch.empty(0)
    assert native.torch_sample(empty.data_ptr(), 0, "float32", "uniform", [0.0, 1.0], _bytes(st)) == _bytes(st)
    for n in (1, 5, 700):
        x = torch.empty(n)
        new = native.torch_sample(x.data_ptr(), n, "float32", "uniform", [0.0, 1.0], _bytes(st))
        h = torch.Generator()
        h.set_state(st)
        assert torch.equal(x, torch.rand(n, generator=h))
        assert new == _bytes(h.get_state())
        # and torch accepts nninit's bytes: the next draws agree
        k = torch.Generator()
        k.set_state(torch.frombuffer(bytearray(new), dtype=torch.uint8))
        assert torch.equal(torch.randn(3, dtype=torch.float64, generator=k),
                           torch.randn(3, dtype=torch.float64, generator=h))


def test_generator_state_rejected():
    from nninit import _nninit as native

    good = _bytes(torch.Generator().manual_seed(1).get_state())
    x = torch.empty(4)
    with pytest.raises(ValueError, match="5056 bytes"):
        native.torch_sample(x.data_ptr(), 4, "float32", "uniform", [0.0, 1.0], good[:-8])
    bad = bytearray(good)
    bad[8:12] = (0).to_bytes(4, "little")  # left = 0: not an mt19937 position
    with pytest.raises(ValueError, match="not an mt19937 position"):
        native.torch_sample(x.data_ptr(), 4, "float32", "uniform", [0.0, 1.0], bytes(bad))
    with pytest.raises(ValueError, match="not aligned"):
        native.torch_sample(x.data_ptr() + 1, 2, "float32", "uniform", [0.0, 1.0], good)
    with pytest.raises(ValueError, match="no memory"):
        native.torch_sample(0, 2, "float32", "uniform", [0.0, 1.0], good)
    with pytest.raises(TypeError, match="float32"):
        native.torch_sample(x.data_ptr(), 4, "int8", "uniform", [0.0, 1.0], good)


INIT_TEXT = [
    ("uniform:-0.5,0.25", lambda t, g: torch.nn.init.uniform_(t, -0.5, 0.25, g)),
    ("normal:0.02", lambda t, g: torch.nn.init.normal_(t, 0.0, 0.02, g)),
    ("trunc_normal:0.02", lambda t, g: torch.nn.init.trunc_normal_(t, 0.0, 0.02, generator=g)),
    ("xavier_normal", lambda t, g: torch.nn.init.xavier_normal_(t, generator=g)),
    ("kaiming_uniform:a=2.23606797749979",
     lambda t, g: torch.nn.init.kaiming_uniform_(t, a=2.23606797749979, generator=g)),
    ("kaiming_normal:mode=fan_out,nonlinearity=relu",
     lambda t, g: torch.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu", generator=g)),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=str)
@pytest.mark.parametrize("case", INIT_TEXT, ids=[c[0] for c in INIT_TEXT])
def test_init_text_torch_stream(case, dtype):
    """init_(t, text) without seed draws through nninit's Rust TorchGenerator path
    (Init::fill): the same values and generator state as the torch.nn.init call."""
    spec, ft = case
    assert_same(ft, lambda t, g: nt.init_(t, spec, generator=g),
                lambda: torch.empty(24, 40, dtype=dtype), seed=13, use_gen=True)


def test_init_text_orthogonal_close():
    # nninit's QR of PyTorch's draws: equal to LAPACK's to about 2e-6, not bit for bit
    a, ga, _ = run(lambda t, g: torch.nn.init.orthogonal_(t, generator=g), lambda: torch.empty(12, 20), 3, True)
    b, gb, _ = run(lambda t, g: nt.init_(t, "orthogonal", generator=g), lambda: torch.empty(12, 20), 3, True)
    assert torch.equal(ga, gb)
    assert (a - b).abs().max() <= 2e-6


def test_variance_scaling_laws():
    """JAX variance_scaling: Var = scale / fan. n = 2^18 draws; the sample variance within
    6 sigma of its sampling error (mu4 = 3 var^2 for the normal, 9 var^2/5 for the uniform;
    the +-2 sigma truncated normal's kurtosis is below the normal's, so the normal's band is
    conservative)."""
    fan_in = 512
    for dist in ("normal", "uniform", "truncated_normal"):
        w = nt.variance_scaling_(torch.empty(512, fan_in, dtype=torch.float64), 2.0, "fan_in", dist,
                                 seed=4, name=dist)
        var = 2.0 / fan_in
        n = w.numel()
        mu4 = 9 * var**2 / 5 if dist == "uniform" else 3 * var**2
        assert abs(w.var().item() - var) <= 6 * math.sqrt((mu4 - var**2) / n), dist
    t = nt.variance_scaling_(torch.empty(64, 64), 1.0, "fan_avg", "truncated_normal", seed=4, name="t")
    sigma = math.sqrt(1.0 / 64) / 0.87962566103423978
    assert t.abs().max().item() <= 2 * sigma * (1 + 1e-6)


def test_without_seed_errors_are_pytorchs(native_draws):
    """Without seed the functions are torch.nn.init's, errors included (PyTorch's
    RuntimeError); nninit's own port, when it draws, raises ValueError."""
    expected = RuntimeError if native_draws == "default" else ValueError
    with pytest.raises(expected, match="std"):
        nt.normal_(torch.empty(3), 0.0, -1.0)
    # and what PyTorch accepts, nninit accepts with PyTorch's values
    if native_draws == "default":
        assert_same(lambda t, g: torch.nn.init.trunc_normal_(t, 0.0, 1.0, -float("inf"), 1.0, g),
                    lambda t, g: nt.trunc_normal_(t, 0.0, 1.0, -float("inf"), 1.0, g),
                    lambda: torch.empty(5))


def test_threads_get_distinct_draws():
    """Four threads initialising at once get four different tensors and the generator
    advances as for four calls in a row (as torch.nn.init: PyTorch holds the generator's lock;
    nninit's own port takes its state lock)."""
    from concurrent.futures import ThreadPoolExecutor

    for fn in (nt.kaiming_uniform_, nt.normal_, nt.trunc_normal_):
        torch.manual_seed(0)
        ws = [torch.empty(256, 256) for _ in range(4)]
        with ThreadPoolExecutor(4) as ex:
            list(ex.map(fn, ws))
        after = torch.default_generator.get_state()
        for i in range(4):
            for j in range(i + 1, 4):
                assert not torch.equal(ws[i], ws[j]), f"{fn.__name__}: threads {i} and {j} drew the same"
        if fn is nt.trunc_normal_:
            continue  # PyTorch's rejection sampling: how many draws depends on the interleaving
        torch.manual_seed(0)
        for w in ws:
            fn(torch.empty(256, 256))
        assert torch.equal(after, torch.default_generator.get_state()), fn.__name__


def test_inference_tensor_refused_with_seed():
    with torch.inference_mode():
        t = torch.zeros(3, 3)
    with pytest.raises(ValueError, match="inference_mode"):
        nt.uniform_(t, seed=0, name="w")
    with torch.inference_mode():
        nt.uniform_(t, seed=0, name="w")  # inside it, allowed (as PyTorch)
    assert t.abs().sum() > 0


def test_argument_types():
    t = torch.empty(4, 4)
    with pytest.raises(TypeError, match="number"):
        nt.uniform_(t, "0", "1", seed=0, name="w")
    with pytest.raises(ValueError, match="mode must be one of"):
        nt.variance_scaling_(t, 1.0, "fan_in,scale=100", seed=0, name="w")
    with pytest.raises(ValueError, match="threads"):
        nt.uniform_(t, seed=0, name="w", threads=2**64)
    with pytest.raises(ValueError, match="UTF-8"):
        nt.uniform_(t, seed=0, name="\ud800")
    np = pytest.importorskip("numpy")
    a = nt.uniform_(torch.empty(4), seed=np.int64(3), name="w").clone()
    assert torch.equal(a, nt.uniform_(torch.empty(4), seed=3, name="w"))


def test_float16_uniform_bounds_beyond_the_type_refused():
    with pytest.raises(ValueError, match="65504"):
        nt.uniform_(torch.empty(10, dtype=torch.float16), 0.0, 1e5, seed=0, name="w")
