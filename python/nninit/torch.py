r"""``torch.nn.init``, two ways: PyTorch's own values, or layout-invariant counter-based values.

Every function here mirrors its ``torch.nn.init`` namesake (same signature, defaults and
errors) and adds keyword-only ``seed``, ``name`` and ``threads``:

- **Without** ``seed`` (optionally with ``generator=``) the values are PyTorch's, bit for bit:
  the draws come from the ``torch.Generator`` (the default CPU generator if none is given),
  whose state is read, advanced and written back exactly as ``torch.nn.init`` would advance
  it. CPU tensors are filled by nninit's port of PyTorch's CPU kernels; tensors PyTorch
  itself must fill to get its values (CUDA tensors, which use the CUDA generator; DTensors;
  CPUs other than x86; ``trunc_normal_`` on a non-contiguous tensor) are passed to
  ``torch.nn.init``. A drop-in.
- **With** ``seed=S, name=NAME`` the values come from nninit's counter-based Philox4x32-10
  stream keyed by ``(S, NAME)``: element ``i`` (row-major index in the *global* tensor) is a
  pure function of ``(S, NAME, i)``, equal to what ``nninit fill --rng philox --seed S --name
  NAME`` writes. The fill runs on ``threads`` threads (default: all CPUs) and never depends on
  it; a DTensor's rank fills only its local shard, with the values the full tensor has at those
  global indices, for any mesh and placements (``Shard``, ``_StridedShard``, ``Replicate``;
  uneven and empty shards), without communication. CUDA tensors are filled in a host buffer
  and copied once.

``init_(tensor, "scheme text")`` takes the CLI's scheme strings, ``variance_scaling_`` the JAX
family, and ``init_module`` initialises every parameter of a module keyed by its name.

Diagnostics for any ``nn.Module``: ``probe(model, batch, inits=[...])`` (per-layer and per-block
statistics on one batch for several inits: std, signal vs bias spread, correlation between
inputs, zeros, dead and saturated units, histograms, gradients, update:data; advice; text,
JSON, SVG and HTML reports; reduced across ranks under ``torch.distributed``) and
``watch(model, optimizer=opt, every=N, path=...)`` (the same during training, as JSON lines).

Fans follow PyTorch (``fan_in = size(1)·∏k``, ``fan_out = size(0)·∏k``: weights ``[out, in,
k...]`` used as ``x @ w.T``); ``init_`` and ``variance_scaling_`` take ``layout="jax"`` for
``[k..., in, out]`` weights.

dtypes: float32, float64, bfloat16, float16 (others: ``TypeError``).
"""

from __future__ import annotations

import ctypes
import fnmatch
import json
import math
import operator
import os
import threading
import warnings
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from . import _nninit as _native
from ._dtensor import local_indices

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
    "variance_scaling_",
    "init_",
    "init_module",
    "recipe_plan",
    "probe",
    "ProbeReport",
    "find_blocks",
    "watch",
    "Watch",
    "load_watch",
    "render_html",
]

calculate_gain = torch.nn.init.calculate_gain

_DTYPES = {
    torch.float32: "float32",
    torch.float64: "float64",
    torch.bfloat16: "bfloat16",
    torch.float16: "float16",
}

_U64 = 1 << 64


# ----------------------------------------------------------------------------- helpers


def _num(x) -> str:
    """A Python number as scheme text that parses back to the same f64."""
    if isinstance(x, (bool, str, bytes)) or not isinstance(x, (int, float)):
        try:
            if isinstance(x, (bool, str, bytes)):
                raise TypeError
            x = float(x)  # numpy scalars, 0-d tensors
        except (TypeError, ValueError):
            raise TypeError(f"expected a number, got {x!r}") from None
    return repr(float(x))


def _check_tensor(tensor, fn: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn} expects a torch.Tensor, got {type(tensor).__name__}")
    if tensor.dtype not in _DTYPES:
        raise TypeError(
            f"{fn}: nninit fills float32, float64, bfloat16 and float16 tensors, got {tensor.dtype}"
        )
    if tensor.is_inference() and not torch.is_inference_mode_enabled():
        raise ValueError(
            f"{fn}: the tensor was created under torch.inference_mode() and cannot be updated "
            "in place outside it (PyTorch refuses too); fill it inside inference_mode, or a "
            "tensor made outside it"
        )


def _is_dtensor(t) -> bool:
    return type(t).__name__ == "DTensor" and hasattr(t, "placements")


def _check_key(seed, name, generator, fn: str) -> bool:
    """True for the counter-based stream (seed given); checks the combination."""
    if seed is None:
        if name is not None:
            raise ValueError(f"{fn}: name= needs seed= (the counter-based stream is keyed by both)")
        return False
    if not isinstance(seed, (bool, int)) and hasattr(seed, "__index__"):
        seed = operator.index(seed)  # numpy integers
    if generator is not None:
        raise ValueError(
            f"{fn}: give either generator= (PyTorch's stream) or seed= and name= "
            "(nninit's counter-based stream), not both"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{fn}: seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed < _U64:
        raise ValueError(f"{fn}: seed must be in [0, 2**64), got {seed}")
    if fn == "init_module":
        return True  # each parameter is keyed by its own name
    if name is None:
        raise ValueError(
            f"{fn}: seed= needs name= too (the tensor's stream is keyed by (seed, name); "
            "use the parameter's name, e.g. name='layers.0.attn.wq.weight')"
        )
    if not isinstance(name, str):
        raise TypeError(f"{fn}: name must be a str, got {type(name).__name__}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{fn}: name {name!r} is not valid UTF-8 text (a lone surrogate?)") from None
    return True


def _threads(threads) -> int:
    if threads is None:
        return 0
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads < 2**31:
        raise ValueError(f"threads must be a positive int or None (all CPUs), got {threads!r}")
    return threads


def _bump_version(t: Tensor) -> None:
    """Tell autograd the tensor changed (nninit writes through data_ptr())."""
    try:
        torch.autograd.graph.increment_version(t)
    except Exception:  # older torch: no such helper; the data is written all the same
        pass


def _check_memory(local: Tensor, fn: str) -> None:
    if local.is_meta:
        raise ValueError(
            f"{fn}: the tensor is on the meta device and has no memory to fill "
            "(materialise it first, e.g. module.to_empty(device='cpu'))"
        )
    if local.layout != torch.strided:
        raise ValueError(f"{fn}: only strided (dense) tensors can be filled, got {local.layout}")
    if local.numel() > 1 and torch._debug_has_internal_overlap(local) == 1:
        raise ValueError(
            f"{fn}: the tensor's elements overlap in memory (an expand()ed view?); "
            "fill the tensor it views, or a clone()"
        )


# ----------------------------------------------------------------- counter-based stream


def _global_run(index, global_shape) -> tuple[int, int] | None:
    """``(start, count)`` when a non-empty local block is one run of consecutive global
    row-major indices (a Shard(0) of a row-major tensor, as FSDP2 and ColwiseParallel make):
    then it is filled as one range, on all threads, instead of row by row."""
    if not index or not all(isinstance(ix, range) and ix.step == 1 for ix in index):
        return None
    if any(ix.start != 0 or len(ix) != n for ix, n in zip(index[1:], global_shape[1:])):
        return None
    inner = math.prod(global_shape[1:])
    count = len(index[0]) * inner
    return (index[0].start * inner, count) if count > 0 else None


def _philox(
    tensor: Tensor,
    spec: str,
    seed: int,
    name: str,
    threads,
    fn: str,
    layout: str = "torch",
) -> Tensor:
    """Fills ``tensor`` (plain or DTensor) with ``spec`` keyed by ``(seed, name)``."""
    _check_tensor(tensor, fn)
    nthreads = _threads(threads)
    global_shape = [int(n) for n in tensor.shape]
    if _is_dtensor(tensor):
        mesh = tensor.device_mesh
        coord = mesh.get_coordinate()
        local = tensor._local_tensor
        if coord is None:  # this rank is not in the mesh: it holds nothing
            _native.check_init(spec, global_shape, layout)
            return tensor
        index = local_indices(global_shape, tuple(mesh.shape), coord, tensor.placements)
        want = tuple(len(ix) for ix in index)
        if tuple(local.shape) != want:
            raise ValueError(
                f"{fn}: the local tensor has shape {tuple(local.shape)} but placements "
                f"{tuple(tensor.placements)} on mesh {tuple(mesh.shape)} give {want} at "
                f"coordinate {tuple(coord)} (padded local shards are not supported)"
            )
        run = _global_run(index, global_shape)
        index = [list(ix) for ix in index]
    else:
        local, index, run = tensor, None, (0, tensor.numel())
    _check_memory(local, fn)
    dtype = _DTYPES[local.dtype]
    with torch.no_grad():
        if local.device.type == "cpu":
            if run is not None and local.is_contiguous():
                _native.philox_fill_range(
                    local.data_ptr(), dtype, spec, global_shape, seed, name, run[0],
                    run[1], layout=layout, threads=nthreads,
                )
            else:
                _native.philox_fill(
                    local.data_ptr(), dtype, spec, global_shape, seed, name, index=index,
                    strides=[int(s) for s in local.stride()], layout=layout, threads=nthreads,
                )
            _bump_version(local)
        else:
            buf = torch.empty(tuple(local.shape), dtype=local.dtype, device="cpu")
            _native.philox_fill(
                buf.data_ptr(), dtype, spec, global_shape, seed, name, index=index,
                layout=layout, threads=nthreads,
            )
            local.copy_(buf)
    return tensor


# ------------------------------------------------------------------ PyTorch's own stream


def _flavor() -> str | None:
    """Which x86 build of PyTorch's CPU kernels runs here (None: not x86, pass to torch)."""
    cap = torch.backends.cpu.get_cpu_capability()
    if cap in ("AVX2", "AVX512"):
        return "avx2"
    if cap == "DEFAULT":
        return "default"
    return None


def _generator_of(tensor: Tensor, generator) -> torch.Generator | None:
    """The CPU generator nninit can drive for ``tensor``, or None (PyTorch must draw)."""
    if type(tensor) not in (Tensor, torch.nn.Parameter) or tensor.device.type != "cpu":
        return None
    if tensor.is_meta or tensor.layout != torch.strided or tensor.dtype not in _DTYPES:
        return None
    g = torch.default_generator if generator is None else generator
    if not isinstance(g, torch.Generator) or g.device.type != "cpu" or _flavor() is None:
        return None
    return g


def _get_state(g: torch.Generator) -> bytes:
    st = g.get_state()
    return ctypes.string_at(st.data_ptr(), st.numel())


def _set_state(g: torch.Generator, old: bytes, new: bytes) -> None:
    if new != old:
        g.set_state(torch.frombuffer(bytearray(new), dtype=torch.uint8))


def _iteration_order(t: Tensor) -> list[int]:
    """The dims in the order PyTorch's TensorIterator walks a non-contiguous output
    (outermost first: by decreasing stride)."""
    return sorted(range(t.dim()), key=lambda d: -t.stride(d))


# Which draws nninit makes itself on PyTorch's stream instead of calling PyTorch (the same
# bits either way). None as shipped: PyTorch's own kernels are as fast (uniform) or 5-7x faster
# (normal, trunc_normal: vectorised) than nninit's port (BENCHMARKS.md, issue #13), and PyTorch
# holds the generator's lock while it draws, so threads initialising at once get distinct
# values. The tests run every drop-in case with all three drawn by nninit's port as well.
_NATIVE_TORCH_DRAWS: set = set()

# Serialises nninit's read-draw-write of a torch.Generator's state (the port above and
# `init_` without seed): two nninit fills in different threads never draw the same values.
# A PyTorch op drawing from the same generator in another thread at that moment is not
# serialised with it (PyTorch's generator lock is not reachable from Python).
_STATE_LOCK = threading.Lock()


def _torch_draw(tensor: Tensor, kind: str, params: tuple, generator, fallback: Callable):
    """``tensor.uniform_(*params)`` / ``normal_`` / ``nn.init.trunc_normal_`` with
    ``generator``: PyTorch's own call (``fallback()``), or nninit's port of it for the kinds in
    ``_NATIVE_TORCH_DRAWS``."""
    _check_tensor(tensor, f"{kind}_")
    if kind not in _NATIVE_TORCH_DRAWS:
        return fallback()
    g = _generator_of(tensor, generator)
    if g is None or (kind == "trunc_normal" and not tensor.is_contiguous()):
        return fallback()
    if not tensor.is_contiguous() and tensor.numel() > 1 and torch._debug_has_internal_overlap(tensor) != 0:
        return fallback()  # PyTorch raises its own error for overlapping outputs
    params = [float(p) for p in params]
    dtype = _DTYPES[tensor.dtype]
    with _STATE_LOCK, torch.no_grad():
        old = _get_state(g)
        if tensor.is_contiguous():
            new = _native.torch_sample(
                tensor.data_ptr(), tensor.numel(), dtype, kind, params, old, flavor=_flavor()
            )
            _bump_version(tensor)
        else:
            # PyTorch fills a non-contiguous tensor element by element in memory order
            view = tensor.permute(_iteration_order(tensor))
            buf = torch.empty(tuple(view.shape), dtype=tensor.dtype)
            new = _native.torch_sample(
                buf.data_ptr(), buf.numel(), dtype, kind, params, old, flavor=_flavor(),
                elementwise=True,
            )
            view.copy_(buf)
        _set_state(g, old, new)
    return tensor


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    # torch/nn/init.py (2.15) `_calculate_fan_in_and_fan_out`, token for token
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    num_input_fmaps = tensor.size(1)
    num_output_fmaps = tensor.size(0)
    receptive_field_size = 1
    if tensor.dim() > 2:
        for s in tensor.shape[2:]:
            receptive_field_size *= s
    return num_input_fmaps * receptive_field_size, num_output_fmaps * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _slope(a) -> float:
    # calculate_gain's rule for the leaky_relu param, for the scheme text
    if isinstance(a, bool) or not isinstance(a, (int, float)):
        raise ValueError(f"negative_slope {a} not a valid number")
    return float(a)


# ------------------------------------------------------------------ the drop-in functions


def uniform_(
    tensor: Tensor,
    a: float = 0.0,
    b: float = 1.0,
    generator: torch.Generator | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the input Tensor with values drawn from the uniform distribution
    :math:`\mathcal{U}(a, b)`: mean :math:`(a+b)/2`, variance :math:`(b-a)^2/12`.

    Mirrors ``torch.nn.init.uniform_`` (torch 2.15); differences: none without ``seed``.

    Args:
        tensor: an n-dimensional `torch.Tensor` (float32, float64, bfloat16, float16)
        a: the lower bound of the uniform distribution (units of the weights)
        b: the upper bound of the uniform distribution
        generator: the torch Generator to sample from (default: the default CPU generator)
        seed: with ``name``: nninit's counter-based stream keyed by ``(seed, name)``
            instead of PyTorch's (an int in ``[0, 2**64)``)
        name: the tensor's stream name, e.g. its parameter name
        threads: threads for the counter-based fill (default: all CPUs; values never
            depend on it)

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.uniform_(w)  # == torch.nn.init.uniform_(w), bit for bit
        >>> nninit.torch.uniform_(w, -0.1, 0.1, seed=0, name="fc.weight")
    """
    if _check_key(seed, name, generator, "uniform_"):
        return _philox(tensor, f"uniform:a={_num(a)},b={_num(b)}", seed, name, threads, "uniform_")
    return _torch_draw(
        tensor, "uniform", (a, b), generator,
        lambda: torch.nn.init.uniform_(tensor, a, b, generator),
    )


def normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    generator: torch.Generator | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the input Tensor with values drawn from the normal distribution
    :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Mirrors ``torch.nn.init.normal_`` (torch 2.15); differences: none without ``seed``
    (``std < 0`` raises ``ValueError`` where PyTorch raises ``RuntimeError``).

    Args:
        tensor: an n-dimensional `torch.Tensor`
        mean: the mean of the normal distribution (units of the weights)
        std: the standard deviation of the normal distribution (``>= 0``)
        generator: the torch Generator to sample from (default: the default CPU generator)
        seed, name, threads: nninit's counter-based stream (see :func:`uniform_`)

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.normal_(w, std=0.02, seed=0, name="wte.weight")
    """
    if _check_key(seed, name, generator, "normal_"):
        return _philox(
            tensor, f"normal:mean={_num(mean)},std={_num(std)}", seed, name, threads, "normal_"
        )
    return _torch_draw(
        tensor, "normal", (mean, std), generator,
        lambda: torch.nn.init.normal_(tensor, mean, std, generator),
    )


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: torch.Generator | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the input Tensor with values drawn from a truncated normal distribution:
    :math:`\mathcal{N}(\text{mean}, \text{std}^2)` conditioned on :math:`[a, b]`.

    ``a`` and ``b`` are absolute values, not multiples of ``std`` (the default ``[-2, 2]`` at
    ``std=0.02`` truncates nothing in practice). Without ``seed``: PyTorch's ≥ 2.12 algorithm
    (normal draws with full-size redraws, or uniform proposals with rejection for narrow
    windows), bit for bit. With ``seed``: the exact inverse-CDF transform of one counter-based
    uniform per element.

    Mirrors ``torch.nn.init.trunc_normal_`` (torch 2.15); differences: ``std <= 0``,
    ``a >= b`` or a window with no probability mass raise ``ValueError`` (PyTorch divides by
    zero or loops).

    Args:
        tensor: an n-dimensional `torch.Tensor`
        mean: the mean of the normal distribution
        std: the standard deviation of the normal distribution (``> 0``)
        a: the minimum cutoff value
        b: the maximum cutoff value
        generator: the torch Generator to sample from (default: the default CPU generator)
        seed, name, threads: nninit's counter-based stream (see :func:`uniform_`)

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.trunc_normal_(w, std=0.02, a=-0.04, b=0.04)
    """
    if _check_key(seed, name, generator, "trunc_normal_"):
        spec = f"trunc_normal:mean={_num(mean)},std={_num(std)},a={_num(a)},b={_num(b)}"
        return _philox(tensor, spec, seed, name, threads, "trunc_normal_")
    _check_tensor(tensor, "trunc_normal_")
    if tensor.is_meta:
        return tensor
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    return _torch_draw(
        tensor, "trunc_normal", (mean, std, a, b), generator,
        lambda: torch.nn.init.trunc_normal_(tensor, mean, std, a, b, generator),
    )


def _no_draw(tensor: Tensor, spec: str, torch_fn: Callable, seed, name, threads, fn: str):
    """Schemes that draw nothing: PyTorch's function, or nninit's fill for a DTensor (any
    placement) or when a key is given (the values do not depend on it)."""
    if seed is not None or name is not None:
        _check_key(seed, name, None, fn)
    if seed is not None or _is_dtensor(tensor):
        return _philox(tensor, spec, 0 if seed is None else seed, name or "", threads, fn)
    return torch_fn()


def constant_(
    tensor: Tensor,
    val: float,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the input Tensor with the value :math:`\text{val}` (variance 0).

    Mirrors ``torch.nn.init.constant_``; ``seed``/``name`` are accepted for uniformity and
    do not change the values. DTensors of any placement are filled shard by shard.

    Args:
        tensor: an n-dimensional `torch.Tensor`
        val: the value to fill the tensor with

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.constant_(w, 0.3)
    """
    return _no_draw(
        tensor, f"constant:{_num(val)}", lambda: torch.nn.init.constant_(tensor, val),
        seed, name, threads, "constant_",
    )


def ones_(tensor: Tensor, *, seed=None, name=None, threads=None) -> Tensor:
    r"""Fill the input Tensor with the scalar value `1` (mirrors ``torch.nn.init.ones_``).

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.ones_(w)
    """
    return _no_draw(tensor, "ones", lambda: torch.nn.init.ones_(tensor), seed, name, threads, "ones_")


def zeros_(tensor: Tensor, *, seed=None, name=None, threads=None) -> Tensor:
    r"""Fill the input Tensor with the scalar value `0` (mirrors ``torch.nn.init.zeros_``).

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.zeros_(w)
    """
    return _no_draw(
        tensor, "zeros", lambda: torch.nn.init.zeros_(tensor), seed, name, threads, "zeros_"
    )


def eye_(tensor: Tensor, *, seed=None, name=None, threads=None) -> Tensor:
    r"""Fill the 2-dimensional input `Tensor` with the identity matrix.

    Preserves the identity of the inputs in `Linear` layers (mirrors ``torch.nn.init.eye_``;
    ``ValueError`` unless 2-D).

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.eye_(w)
    """
    return _no_draw(tensor, "eye", lambda: torch.nn.init.eye_(tensor), seed, name, threads, "eye_")


def dirac_(tensor: Tensor, groups: int = 1, *, seed=None, name=None, threads=None) -> Tensor:
    r"""Fill the {3, 4, 5}-dimensional input `Tensor` with the Dirac delta function.

    Preserves the identity of the inputs in `Convolutional` layers, where as many input
    channels are preserved as possible; in case of groups > 1, each group of channels
    preserves identity (mirrors ``torch.nn.init.dirac_``).

    Args:
        tensor: a {3, 4, 5}-dimensional `torch.Tensor`
        groups: number of groups in the conv layer (default: 1)

    Examples:
        >>> w = torch.empty(3, 16, 5, 5)
        >>> nninit.torch.dirac_(w)
    """
    return _no_draw(
        tensor, f"dirac:groups={int(groups)}", lambda: torch.nn.init.dirac_(tensor, groups),
        seed, name, threads, "dirac_",
    )


def xavier_uniform_(
    tensor: Tensor,
    gain: float = 1.0,
    generator: torch.Generator | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the input `Tensor` with values using a Xavier uniform distribution.

    The method is described in `Understanding the difficulty of training
    deep feedforward neural networks` - Glorot, X. & Bengio, Y. (2010).
    Values are drawn from :math:`\mathcal{U}(-a, a)` where

    .. math::
        a = \text{gain} \times \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    i.e. variance :math:`\text{gain}^2 \cdot 2 / (\text{fan\_in} + \text{fan\_out})`.
    Also known as Glorot initialization. Mirrors ``torch.nn.init.xavier_uniform_``.

    Args:
        tensor: an n-dimensional `torch.Tensor` (n >= 2)
        gain: an optional scaling factor (dimensionless)
        generator: the torch Generator to sample from (default: the default CPU generator)
        seed, name, threads: nninit's counter-based stream (see :func:`uniform_`)

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.xavier_uniform_(w, gain=nn.init.calculate_gain("relu"))
    """
    if _check_key(seed, name, generator, "xavier_uniform_"):
        return _philox(
            tensor, f"xavier_uniform:gain={_num(gain)}", seed, name, threads, "xavier_uniform_"
        )
    _check_tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std  # Calculate uniform bounds from standard deviation
    return _torch_draw(
        tensor, "uniform", (-a, a), generator,
        lambda: torch.nn.init.xavier_uniform_(tensor, gain, generator),
    )


def xavier_normal_(
    tensor: Tensor,
    gain: float = 1.0,
    generator: torch.Generator | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the input `Tensor` with values using a Xavier normal distribution.

    The method is described in `Understanding the difficulty of training deep feedforward
    neural networks` - Glorot, X. & Bengio, Y. (2010). Values are drawn from
    :math:`\mathcal{N}(0, \text{std}^2)` (not truncated) where

    .. math::
        \text{std} = \text{gain} \times \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    Also known as Glorot initialization. Mirrors ``torch.nn.init.xavier_normal_``.

    Args:
        tensor: an n-dimensional `torch.Tensor` (n >= 2)
        gain: an optional scaling factor (dimensionless)
        generator: the torch Generator to sample from (default: the default CPU generator)
        seed, name, threads: nninit's counter-based stream (see :func:`uniform_`)

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.xavier_normal_(w)
    """
    if _check_key(seed, name, generator, "xavier_normal_"):
        return _philox(
            tensor, f"xavier_normal:gain={_num(gain)}", seed, name, threads, "xavier_normal_"
        )
    _check_tensor(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _torch_draw(
        tensor, "normal", (0.0, std), generator,
        lambda: torch.nn.init.xavier_normal_(tensor, gain, generator),
    )


def _kaiming(tensor, a, mode, nonlinearity, generator, seed, name, threads, uniform: bool):
    fn = "kaiming_uniform_" if uniform else "kaiming_normal_"
    if _check_key(seed, name, generator, fn):
        # PyTorch's checks and messages first (mode, nonlinearity, slope)
        if str(mode).lower() not in ("fan_in", "fan_out"):
            raise ValueError(
                f"Mode {str(mode).lower()} not supported, please use one of ['fan_in', 'fan_out']"
            )
        calculate_gain(nonlinearity, a)
        spec = (
            f"{fn[:-1]}:a={_num(_slope(a))},mode={str(mode).lower()},"
            f"nonlinearity={nonlinearity}"
        )
        return _philox(tensor, spec, seed, name, threads, fn)
    _check_tensor(tensor, fn)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    torch_fn = torch.nn.init.kaiming_uniform_ if uniform else torch.nn.init.kaiming_normal_
    fallback = lambda: torch_fn(tensor, a, mode, nonlinearity, generator)  # noqa: E731
    if uniform:
        bound = math.sqrt(3.0) * std  # Calculate uniform bounds from standard deviation
        return _torch_draw(tensor, "uniform", (-bound, bound), generator, fallback)
    return _torch_draw(tensor, "normal", (0, std), generator, fallback)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the input `Tensor` with values using a Kaiming uniform distribution.

    The method is described in `Delving deep into rectifiers: Surpassing human-level
    performance on ImageNet classification` - He, K. et al. (2015). Values are drawn from
    :math:`\mathcal{U}(-\text{bound}, \text{bound})` where

    .. math::
        \text{bound} = \text{gain} \times \sqrt{\frac{3}{\text{fan\_mode}}}

    i.e. variance :math:`\text{gain}^2 / \text{fan\_mode}`. Also known as He initialization.
    The defaults (``a=0``, ``leaky_relu``) give gain :math:`\sqrt{2}`. Mirrors
    ``torch.nn.init.kaiming_uniform_`` (zero-element tensors: a warning and no draws).

    Args:
        tensor: an n-dimensional `torch.Tensor` (n >= 2)
        a: the negative slope of the rectifier used after this layer (only used with
            ``'leaky_relu'``; dimensionless)
        mode: ``'fan_in'`` (default) keeps the variance of the forward pass, ``'fan_out'``
            the backward pass
        nonlinearity: the non-linear function (`nn.functional` name)
        generator: the torch Generator to sample from (default: the default CPU generator)
        seed, name, threads: nninit's counter-based stream (see :func:`uniform_`)

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.kaiming_uniform_(w, mode="fan_in", nonlinearity="relu")

    Note:
        ``fan_in`` and ``fan_out`` assume the weight is used as ``x @ w.T`` (``Linear``,
        ``w.shape = [fan_out, fan_in]``).
    """
    return _kaiming(tensor, a, mode, nonlinearity, generator, seed, name, threads, True)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the input `Tensor` with values using a Kaiming normal distribution.

    The method is described in `Delving deep into rectifiers: Surpassing human-level
    performance on ImageNet classification` - He, K. et al. (2015). Values are drawn from
    :math:`\mathcal{N}(0, \text{std}^2)` (not truncated) where

    .. math::
        \text{std} = \frac{\text{gain}}{\sqrt{\text{fan\_mode}}}

    Also known as He initialization. Mirrors ``torch.nn.init.kaiming_normal_``.

    Args:
        tensor: an n-dimensional `torch.Tensor` (n >= 2)
        a: the negative slope of the rectifier used after this layer (only used with
            ``'leaky_relu'``)
        mode: ``'fan_in'`` (default) or ``'fan_out'``
        nonlinearity: the non-linear function (`nn.functional` name)
        generator: the torch Generator to sample from (default: the default CPU generator)
        seed, name, threads: nninit's counter-based stream (see :func:`uniform_`)

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    """
    return _kaiming(tensor, a, mode, nonlinearity, generator, seed, name, threads, False)


def orthogonal_(
    tensor: Tensor,
    gain: float = 1,
    generator: torch.Generator | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the input `Tensor` with a (semi) orthogonal matrix, times ``gain``.

    Described in `Exact solutions to the nonlinear dynamics of learning in deep linear neural
    networks` - Saxe, A. et al. (2013). The input tensor must have at least 2 dimensions;
    trailing dimensions are flattened (``rows = size(0)``, ``cols = numel / rows``). Every
    entry has variance :math:`\text{gain}^2 / \max(\text{rows}, \text{cols})`.

    Without ``seed``: PyTorch's algorithm on PyTorch's draws (``normal_`` then
    ``torch.linalg.qr`` and the sign fix), bit for bit. With ``seed``: nninit's orthogonal
    from the counter-based draws (the whole matrix is built on every rank of a DTensor, then
    the rank keeps its shard).

    Args:
        tensor: an n-dimensional `torch.Tensor`, where :math:`n \geq 2`
        gain: optional scaling factor (dimensionless)
        generator: the torch Generator to sample from (default: the default CPU generator)
        seed, name, threads: nninit's counter-based stream (see :func:`uniform_`)

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.orthogonal_(w)
    """
    if _check_key(seed, name, generator, "orthogonal_"):
        return _philox(tensor, f"orthogonal:gain={_num(gain)}", seed, name, threads, "orthogonal_")
    _check_tensor(tensor, "orthogonal_")
    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0 or tensor.is_meta:
        return tensor
    if _generator_of(tensor, generator) is None:
        return torch.nn.init.orthogonal_(tensor, gain, generator)
    # torch/nn/init.py (2.15) orthogonal_, with nninit drawing the normal_
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    flattened = tensor.new_empty((rows, cols))
    _torch_draw(flattened, "normal", (0, 1), generator, lambda: flattened.normal_(0, 1, generator=generator))
    if rows < cols:
        flattened.t_()
    q, r = torch.linalg.qr(flattened)
    d = torch.diag(r, 0)
    ph = d.sign()
    q *= ph
    if rows < cols:
        q.t_()
    with torch.no_grad():
        tensor.view_as(q).copy_(q)
        tensor.mul_(gain)
    return tensor


def sparse_(
    tensor: Tensor,
    sparsity: float,
    std: float = 0.01,
    generator: torch.Generator | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill the 2D input `Tensor` as a sparse matrix: :math:`\mathcal{N}(0, \text{std}^2)`,
    then ``ceil(sparsity * rows)`` entries of every column set to zero.

    As described in `Deep learning via Hessian-free optimization` - Martens, J. (2010).
    Without ``seed``, as PyTorch: the normal draws come from ``generator`` and the
    permutations from the *default* generator (``torch.randperm`` without ``generator``).

    Args:
        tensor: a 2-dimensional `torch.Tensor`
        sparsity: the fraction of elements in each column to be set to zero
        std: the standard deviation of the normal distribution of the non-zero values
        generator: the torch Generator to sample from (default: the default CPU generator)
        seed, name, threads: nninit's counter-based stream (see :func:`uniform_`)

    Examples:
        >>> w = torch.empty(3, 5)
        >>> nninit.torch.sparse_(w, sparsity=0.1)
    """
    if _check_key(seed, name, generator, "sparse_"):
        spec = f"sparse:sparsity={_num(sparsity)},std={_num(std)}"
        return _philox(tensor, spec, seed, name, threads, "sparse_")
    _check_tensor(tensor, "sparse_")
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    if tensor.is_meta:
        return tensor
    if _generator_of(tensor, generator) is None:
        return torch.nn.init.sparse_(tensor, sparsity, std, generator)
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with torch.no_grad():
        normal_(tensor, 0, std, generator)
        for col_idx in range(cols):
            row_indices = torch.randperm(rows)
            zero_indices = row_indices[:num_zeros]
            tensor[zero_indices, col_idx] = 0
    return tensor


# ------------------------------------------------------------------ scheme text, JAX family


def _init_torch_stream(tensor: Tensor, spec: str, layout: str, generator, fn: str) -> Tensor:
    """``spec`` drawn from a CPU torch.Generator through nninit's ``Init::fill`` (PyTorch's
    kernels; the tensor as if contiguous)."""
    _check_tensor(tensor, fn)
    if _is_dtensor(tensor):
        raise ValueError(
            f"{fn} on a DTensor needs seed= and name= (PyTorch's stream is not "
            "layout-invariant; nninit's counter-based stream is)"
        )
    _check_memory(tensor, fn)
    g = torch.default_generator if generator is None else generator
    if not isinstance(g, torch.Generator) or g.device.type != "cpu":
        raise ValueError(f"{fn}: generator must be a CPU torch.Generator, got {g!r}")
    flavor = _flavor() or "avx2"
    shape = [int(n) for n in tensor.shape]
    dtype = _DTYPES[tensor.dtype]
    with _STATE_LOCK, torch.no_grad():
        old = _get_state(g)
        if tensor.device.type == "cpu" and tensor.is_contiguous():
            new = _native.torch_fill_init(
                tensor.data_ptr(), dtype, spec, shape, old, layout=layout, flavor=flavor
            )
            _bump_version(tensor)
        else:
            buf = torch.empty(shape, dtype=tensor.dtype)
            new = _native.torch_fill_init(
                buf.data_ptr(), dtype, spec, shape, old, layout=layout, flavor=flavor
            )
            tensor.copy_(buf)
        _set_state(g, old, new)
    return tensor


def init_(
    tensor: Tensor,
    init: str,
    *,
    layout: str = "torch",
    generator: torch.Generator | None = None,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""Fill ``tensor`` with a scheme given as text, as the ``nninit`` CLI takes it.

    ``init`` is e.g. ``"kaiming_uniform"``, ``"normal:0.02"``, ``"trunc_normal:0.02"``,
    ``"xavier_uniform:gain=1.0"``, ``"uniform:-0.1,0.1"``,
    ``"variance_scaling:2.0,fan_in,truncated_normal"``, ``"he_normal"``, ``"orthogonal"``,
    ``"eye"``, ``"dirac:groups=2"``, ``"sparse:0.9,0.01"`` (the README lists every scheme
    with its law; ``ValueError`` for unknown schemes or parameters).

    With ``seed``/``name``: nninit's counter-based stream, exactly what ``nninit fill --rng
    philox --seed SEED --name NAME --init INIT`` writes (any DTensor layout, any threads).
    Without: PyTorch's CPU stream (``generator`` or the default CPU generator, advanced as
    PyTorch's kernels would advance it), the tensor filled as if contiguous; ``orthogonal``
    then is PyTorch's algorithm with nninit's QR (equal to ``torch.nn.init.orthogonal_`` to
    about 2e-6, not bit for bit).

    Args:
        tensor: an n-dimensional `torch.Tensor`
        init: the scheme text
        layout: ``"torch"`` (``[out, in, k...]``, default), ``"torch_transpose"``
            (``ConvTranspose``'s ``[in, out, k...]``) or ``"jax"`` (``[k..., in, out]``):
            where fans come from
        generator, seed, name, threads: the stream (see :func:`uniform_`)

    Examples:
        >>> w = torch.empty(128, 256)
        >>> nninit.torch.init_(w, "trunc_normal:0.02", seed=0, name="layers.0.wq.weight")
    """
    if not isinstance(init, str):
        raise TypeError(f"init_: init must be a scheme string, got {type(init).__name__}")
    spec = _native.canonical_init(init)
    if _check_key(seed, name, generator, "init_"):
        return _philox(tensor, spec, seed, name, threads, "init_", layout=layout)
    return _init_torch_stream(tensor, spec, layout, generator, "init_")


def variance_scaling_(
    tensor: Tensor,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    *,
    layout: str = "torch",
    generator: torch.Generator | None = None,
    seed: int | None = None,
    name: str | None = None,
    threads: int | None = None,
) -> Tensor:
    r"""JAX's ``variance_scaling``: values with variance :math:`\text{scale} / n`.

    :math:`n` is ``fan_in``, ``fan_out``, ``(fan_in + fan_out) / 2`` (``fan_avg``) or
    :math:`\sqrt{\text{fan\_in} \cdot \text{fan\_out}}` (``fan_geo_avg``). ``distribution``:

    - ``"truncated_normal"``: :math:`\mathcal{N}(0, \sigma^2)` truncated to
      :math:`\pm 2\sigma`, with :math:`\sigma = \sqrt{\text{scale}/n} / 0.87962566103423978`
      (the std of a standard normal truncated to (-2, 2)), so the variance is
      :math:`\text{scale}/n`;
    - ``"normal"``: :math:`\mathcal{N}(0, \text{scale}/n)`;
    - ``"uniform"``: :math:`\mathcal{U}(\pm\sqrt{3 \cdot \text{scale}/n})`.

    ``glorot_*`` = ``(1, fan_avg)``, ``he_*`` = ``(2, fan_in)``, ``lecun_*`` = ``(1, fan_in)``
    (JAX's ``*_normal`` are truncated, unlike PyTorch's ``xavier_normal_``). Source:
    ``jax.nn.initializers.variance_scaling`` (JAX ``jax/_src/nn/initializers.py``); fans here
    follow ``layout`` (default PyTorch's ``[out, in, k...]``; JAX's default is ``"jax"``).

    Args:
        tensor: an n-dimensional `torch.Tensor` (n >= 2)
        scale: the variance scale (dimensionless, > 0)
        mode: ``fan_in``, ``fan_out``, ``fan_avg`` or ``fan_geo_avg``
        distribution: ``truncated_normal``, ``normal`` or ``uniform``
        layout: ``"torch"``, ``"torch_transpose"`` or ``"jax"``
        generator, seed, name, threads: the stream (see :func:`init_`)

    Examples:
        >>> w = torch.empty(256, 128)
        >>> nninit.torch.variance_scaling_(w, 2.0, "fan_in", "truncated_normal", seed=0, name="w")
    """
    modes = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
    dists = ("truncated_normal", "trunc_normal", "normal", "untruncated_normal", "uniform")
    if not isinstance(mode, str) or mode.lower() not in modes:
        raise ValueError(f"variance_scaling_: mode must be one of {', '.join(modes)}, got {mode!r}")
    if not isinstance(distribution, str) or distribution.lower() not in dists:
        raise ValueError(
            f"variance_scaling_: distribution must be one of {', '.join(dists)}, got {distribution!r}"
        )
    spec = f"variance_scaling:scale={_num(scale)},mode={mode},distribution={distribution}"
    return init_(
        tensor, spec, layout=layout, generator=generator, seed=seed, name=name, threads=threads
    )


# ----------------------------------------------------------------------------- modules


def _rules(init) -> list[tuple[str, str]] | str:
    if isinstance(init, str):
        return _native.canonical_init(init)
    try:
        rules = list(init)
    except TypeError:
        raise TypeError(
            "init_module: init must be a scheme string or a list of (glob, scheme) pairs, "
            f"got {type(init).__name__}"
        ) from None
    out = []
    for rule in rules:
        if not (isinstance(rule, (tuple, list)) and len(rule) == 2
                and all(isinstance(x, str) for x in rule)):
            raise TypeError(f"init_module: each rule must be a (glob, scheme) pair of strings, got {rule!r}")
        out.append((rule[0], _native.canonical_init(rule[1])))
    return out


def _scheme_for(fqn: str, p: Tensor, rules, owner: torch.nn.Module | None = None) -> str:
    if isinstance(rules, str):
        if p.dim() >= 2:
            return rules
        leaf = fqn.rsplit(".", 1)[-1]
        if leaf == "bias" or leaf.endswith("_bias"):
            return "zeros"
        kind = type(owner).__name__ if owner is not None else "?"
        if (leaf == "weight" or leaf.endswith("_weight")) and "Norm" in kind:
            return "ones"  # LayerNorm, RMSNorm, BatchNorm, GroupNorm, InstanceNorm scales
        raise ValueError(
            f"init_module: no default for parameter '{fqn}' of shape {tuple(p.shape)} in a "
            f"{kind} (the scheme string covers weights of 2+ dims, 1-d biases (zeros) and the "
            "1-d weights of *Norm modules (ones)); pass a list of (glob, scheme) rules, e.g. "
            f"[('{fqn}', 'constant:0.25'), ('*', '<scheme>')] for a PReLU slope"
        )
    for pattern, spec in rules:
        if fnmatch.fnmatchcase(fqn, pattern):
            return spec
    raise ValueError(
        f"init_module: no rule matches parameter '{fqn}' (shape {tuple(p.shape)}); "
        "add a (glob, scheme) rule for it, e.g. ('*', 'zeros') last"
    )


def _recipe_config_json(config) -> str | None:
    """``config=`` of ``init_module`` as config.json text: a dict, a path, or None."""
    if config is None:
        return None
    if isinstance(config, dict):
        return json.dumps(config)
    if isinstance(config, (str, os.PathLike)):
        try:
            with open(config) as f:
                return f.read()
        except OSError as e:
            raise ValueError(f"init_module: cannot read config {config!r}: {e}") from None
    raise TypeError(
        "init_module: config must be a dict, a path to a config.json, or None, "
        f"got {type(config).__name__}"
    )


def _padding_rows(module: torch.nn.Module) -> dict[str, int]:
    """FQN of each ``nn.Embedding`` weight with a ``padding_idx`` -> that row (non-negative)."""
    rows = {}
    for prefix, m in module.named_modules():
        if isinstance(m, torch.nn.Embedding) and m.padding_idx is not None:
            row = m.padding_idx % m.num_embeddings
            rows[_key_name(f"{prefix}.weight" if prefix else "weight")] = row
    return rows


def _zero_row(p: Tensor, row: int) -> None:
    """Sets row ``row`` (dim 0, global index) of ``p`` to zero; a DTensor zeroes it where the
    local shard holds it."""
    if _is_dtensor(p):
        mesh = p.device_mesh
        coord = mesh.get_coordinate()
        if coord is None:
            return
        index = local_indices([int(n) for n in p.shape], tuple(mesh.shape), coord, p.placements)
        local = p._local_tensor
        rows0 = list(index[0])
        if row in rows0:
            local.select(0, rows0.index(row)).zero_()
        return
    p.select(0, row).zero_()


def recipe_plan(
    module: torch.nn.Module,
    recipe: str,
    *,
    config=None,
    params: dict | None = None,
) -> list[tuple[str, str, int | None, str]]:
    r"""The plan ``init_module(module, recipe, ...)`` follows: per parameter (in
    ``named_parameters()`` order) its FQN, scheme text (e.g. ``normal:mean=0,std=0.02``),
    padding row (zeroed after the fill, or None) and the recipe rule that chose it (with its
    source). ``config`` and ``params`` as in :func:`init_module`."""
    tensors = [
        (_key_name(fqn), [int(n) for n in p.shape], None) for fqn, p in module.named_parameters()
    ]
    pads = _padding_rows(module)
    tensors = [(n, s, pads.get(n)) for n, s, _ in tensors]
    rows, _ = _native.recipe_plan(
        recipe, tensors, config_json=_recipe_config_json(config),
        params={k: float(v) for k, v in (params or {}).items()},
    )
    return [(name, spec, pad, rule) for name, _shape, spec, pad, _tied, rule in rows]


def init_module(
    module: torch.nn.Module,
    init: str | Sequence[tuple[str, str]],
    *,
    seed: int,
    layout: str = "torch",
    threads: int | None = None,
    config=None,
    recipe_params: dict | None = None,
) -> torch.nn.Module:
    r"""Initialise every parameter of ``module`` with nninit's counter-based stream, each
    keyed by ``(seed, its fully qualified name)`` from ``module.named_parameters()``.

    So a parameter's values depend only on the seed, its name, its global shape and its
    scheme: not on the order of layers, other parameters, the device, the thread count, or
    how the model is sharded (plain, FSDP2 ``fully_shard``, TP ``parallelize_module``, both;
    each rank fills only its shards, without communication). Tied parameters are filled once
    (under their first name); buffers are left alone.

    Args:
        module: the model, with real memory (e.g. after ``to_empty(device=...)`` for a model
            built on the meta device)
        init: a scheme string for weights of 2+ dims, with 1-d ``*bias`` zeros and the 1-d
            ``*weight`` of ``*Norm`` modules (LayerNorm, RMSNorm, BatchNorm, ...) ones (any
            other 1-d weight, e.g. a PReLU slope, is a ``ValueError`` asking for a rule); or
            an ordered list of ``(glob, scheme)`` rules matched against each name with
            ``fnmatch`` (first match wins; a parameter no rule matches is a ``ValueError``
            naming it); or a **recipe name** (``"gpt2"``,
            ``"nanogpt"``, ``"llama"``, ``"torchtitan-llama3"``, ``"olmo-mitchell"``,
            ``"olmo-full-megatron"``, ``"olmo-core-llama"``, ``"megatron"``, ``"bert"``,
            ``"mup"``; ``nninit recipe list``): the recipe's rules matched against the names
            (which must be that recipe's naming: HF names, nanoGPT's, torchtitan's or
            OLMo-core's), with the same scheme per tensor as ``nninit recipe show`` and the same
            values as ``nninit materialize --recipe NAME --rng philox`` for that name
        seed: an int in ``[0, 2**64)``
        layout: where fans come from (see :func:`init_`)
        threads: threads per fill (default: all CPUs; values never depend on it)
        config: recipes only: the model's ``config.json`` as a dict or a path. Without it the
            dimensions the recipes use are inferred from the parameters (``n_layer``: the
            number of block indices in the names; ``d_model``, ``vocab_size``: the token
            embedding; ``d_ff``: the first MLP projection) with ``initializer_range`` 0.02
            (HF's default): pass the config when it sets another ``initializer_range``
        recipe_params: recipes only: recipe parameters, e.g. ``{"base_width": 256}`` for
            ``"mup"``

    Every rule is checked against every parameter before anything is written. With a
    scheme or rules, the ``padding_idx`` row of an ``nn.Embedding`` is set to zero afterwards,
    as PyTorch's ``reset_parameters`` does; with a recipe, where the recipe's source does it
    (HF's generic init: ``llama``, ``bert``). Names are keyed without the ``_orig_mod.`` that
    ``torch.compile`` adds, so a compiled model gets the plain model's values.

    Examples:
        >>> with torch.device("meta"):
        ...     model = Transformer(args)
        >>> model.to_empty(device="cpu")
        >>> nninit.torch.init_module(model, [
        ...     ("*norm*.weight", "ones"),
        ...     ("tok_embeddings.weight", "normal:0.02"),
        ...     ("*", "trunc_normal:0.02"),
        ... ], seed=0)
        >>> nninit.torch.init_module(gpt2_model, "gpt2", seed=0, config="config.json")
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"init_module expects a torch.nn.Module, got {type(module).__name__}")
    if seed is None:
        raise ValueError(
            "init_module needs seed= (an int in [0, 2**64)): every parameter is filled from "
            "nninit's counter-based stream keyed by (seed, its name)"
        )
    _check_key(seed, None, None, "init_module")
    params, owners = {}, {}
    for fqn, p in module.named_parameters():
        key = _key_name(fqn)
        params[key] = p
        owners[key] = module.get_submodule(fqn.rsplit(".", 1)[0]) if "." in fqn else module
    if isinstance(init, str) and init in _native.recipe_names():
        plan = [
            (fqn, params[fqn], spec, pad)
            for fqn, spec, pad, _rule in recipe_plan(
                module, init, config=config, params=recipe_params
            )
        ]
    else:
        if config is not None or recipe_params is not None:
            raise ValueError(
                f"init_module: config= and recipe_params= go with a recipe name "
                f"({', '.join(_native.recipe_names())}), not {init!r}"
            )
        rules = _rules(init)
        plan = []
        for fqn, p in params.items():
            owner = owners[fqn]
            pad = None
            if isinstance(owner, torch.nn.Embedding) and fqn.endswith("weight"):
                pad = owner.padding_idx
            plan.append((fqn, p, _scheme_for(fqn, p, rules, owner), pad))
    for fqn, p, spec, _pad in plan:
        _check_tensor(p, f"init_module ('{fqn}')")
        local = p._local_tensor if _is_dtensor(p) else p
        _check_memory(local, f"init_module ('{fqn}')")
        try:
            _native.check_init(spec, [int(n) for n in p.shape], layout)
        except ValueError as e:
            raise ValueError(f"init_module: parameter '{fqn}' ({spec}): {e}") from None
    with torch.no_grad():
        for fqn, p, spec, pad in plan:
            _philox(p, spec, seed, fqn, threads, f"init_module ('{fqn}')", layout=layout)
            if pad is not None:
                _zero_row(p, pad)
    return module


def _key_name(fqn: str) -> str:
    """The name a parameter is keyed by: its FQN without the ``_orig_mod.`` that
    ``torch.compile`` puts in front, so a compiled model gets the values of the plain one."""
    return ".".join(part for part in fqn.split(".") if part != "_orig_mod")


# ------------------------------------------------------------------------ diagnostics
# (imported last: they use init_module above)
from ._probe import ProbeReport, find_blocks, probe  # noqa: E402
from ._watch import Watch, load_watch, watch  # noqa: E402


def render_html(document) -> str:
    """The self-contained HTML page of a report document (a dict or its JSON text with
    ``nninit_report: 1``; schema in ``crates/nninit-diag/src/html.rs``), as the CLI's
    ``--report`` writes it. ``ValueError`` for a document of the wrong shape."""
    import json as _json

    from ._probe import _clean

    text = document if isinstance(document, str) else _json.dumps(_clean(document), allow_nan=False)
    return _native.render_html(text)
