"""Mergeable per-layer statistics: accumulators whose state is sums (counts, sums, sums of
squares in float64, fixed-bin histogram counts), so that the statistics of the union of two
batches, or of every rank's batch, are computed from the element-wise sum of their states.

Reduction across ranks (``torch.distributed``, when a process group is initialised with more
than one rank) is ``all_reduce(SUM)`` of one float64 vector per accumulator, after an
``all_reduce(MIN/MAX)`` of the histogram range. Counts and histograms are then exactly those of
the concatenated data; sums of float64 are exact up to float64 rounding (about 1e-16 relative
per addition), so moments agree with a single process to ~1e-12 relative, not bit for bit.

A tensor ``x`` is read as ``rows x units``: the feature (unit) dim is moved last and the rest
flattened into rows (``feature_dim`` -1 for ``(B, C)`` and ``(B, T, C)`` outputs; 1 for conv
outputs ``(B, C, H, W)``: units are channels, rows are positions).

Statistics (over all rows x units unless said):

- ``mean``, ``std``: population moments of every element;
- ``signal``: the mean over units of each unit's std across rows (the input-dependent part);
- ``bias_spread``: the std over units of each unit's mean across rows (a constant offset per
  unit, as biases give: large ``std`` with small ``signal`` means the inputs are no longer told
  apart);
- ``correlation``: the mean cosine similarity between different rows,
  ``(|sum_i u_i|^2 - n) / (n (n - 1))`` with ``u_i = x_i / |x_i|`` (rows that are all zero
  are left out);
- ``frac_zero``: elements exactly 0; ``frac_dead``: units 0 in every row;
- ``frac_saturated``: for tanh outputs ``|x| > 0.97``, for sigmoid ``x < 0.03 or x > 0.97``
  (Karpathy's makemore part 3), else ``None``;
- ``hist``: ``BINS`` equal bins over ``[lo, hi]``, the data's min and max rounded outwards to
  1, 2, 2.5 or 5 x 10^k (the same on every rank); non-finite values are counted apart.
"""

from __future__ import annotations

import math

import torch

BINS = 60
SATURATION = 0.97


def nice_up(x: float) -> float:
    """The smallest of ``{1, 2, 2.5, 5} x 10^k`` that is >= ``x`` (``x > 0``)."""
    e = math.floor(math.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        v = m * 10.0**e
        if v >= x * (1 - 1e-12):
            return v
    return 10.0 ** (e + 1)


def nice_range(lo: float, hi: float) -> tuple[float, float]:
    """``[lo, hi]`` rounded outwards to nice numbers; a constant or empty range widened."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        return -1.0, 1.0
    if lo == hi:
        w = abs(lo) if lo != 0 else 1.0
        lo, hi = lo - w, hi + w
    r_lo = 0.0 if lo >= 0 else -nice_up(-lo)
    r_hi = 0.0 if hi <= 0 else nice_up(hi)
    return r_lo, r_hi


def _dist_world():
    """The default process group's world size when one is initialised, else 1."""
    d = torch.distributed
    if d.is_available() and d.is_initialized():
        return d.get_world_size()
    return 1


def rows_units(x: torch.Tensor, feature_dim: int) -> torch.Tensor:
    """``x`` as a 2-d float64 ``(rows, units)`` tensor (units = the feature dim)."""
    x = x.detach()
    if x.dim() == 0:
        x = x.reshape(1, 1)
    elif x.dim() == 1:
        x = x.reshape(1, -1)
    else:
        fd = feature_dim if feature_dim >= 0 else x.dim() + feature_dim
        if fd != x.dim() - 1:
            x = x.movedim(fd, -1)
        x = x.reshape(-1, x.shape[-1])
    return x.to(torch.float64)


class Moments:
    """Sums of one tensor's elements: count, sum, sum of squares, zeros, non-finite, min, max,
    and a fixed-bin histogram. ``add`` takes the histogram range from the caller."""

    def __init__(self, bins: int = BINS, device=None):
        self.bins = bins
        self.device = device
        self.n = 0.0
        self.s1 = 0.0
        self.s2 = 0.0
        self.zeros = 0.0
        self.nonfinite = 0.0
        self.lo = None
        self.hi = None
        self.hist = None

    @staticmethod
    def range_of(x: torch.Tensor) -> tuple[float, float]:
        """The finite min and max of ``x`` (``(inf, -inf)`` when none)."""
        if x.numel() == 0:
            return math.inf, -math.inf
        lo, hi = torch.aminmax(x)
        lo, hi = float(lo), float(hi)
        if math.isfinite(lo) and math.isfinite(hi):  # NaN or inf anywhere shows here
            return lo, hi
        f = x[torch.isfinite(x)]
        if f.numel() == 0:
            return math.inf, -math.inf
        return float(f.min()), float(f.max())

    def add(self, x: torch.Tensor, lo: float, hi: float) -> bool:
        """Adds the elements of ``x`` (float64) with histogram range ``[lo, hi]``; returns
        whether every element was finite."""
        x = x.reshape(-1)
        s1 = x.sum()
        if bool(torch.isfinite(s1)):  # every element finite (float64 sums of float32 data)
            xf = x
        else:
            fin = torch.isfinite(x)
            self.nonfinite += float((~fin).sum())
            xf = x[fin]
            s1 = xf.sum()
        self.n += float(xf.numel())
        self.s1 += float(s1)
        self.s2 += float(torch.dot(xf, xf))
        self.zeros += float((xf == 0).sum())
        if self.hist is None:
            self.lo, self.hi = lo, hi
            self.hist = torch.zeros(self.bins, dtype=torch.float64, device=x.device)
        # binning element by element in float64 (two exactly rounded ops): the same bin for
        # a value whichever batch or rank it is in
        idx = (xf - self.lo).mul_(self.bins / (self.hi - self.lo)).floor_().clamp_(0, self.bins - 1)
        self.hist += torch.bincount(idx.to(torch.int64), minlength=self.bins).to(torch.float64)
        return xf is x

    def state(self) -> torch.Tensor:
        h = self.hist.cpu() if self.hist is not None else torch.zeros(self.bins, dtype=torch.float64)
        head = torch.tensor([self.n, self.s1, self.s2, self.zeros, self.nonfinite], dtype=torch.float64)
        return torch.cat([head, h])

    def load(self, v: torch.Tensor) -> None:
        self.n, self.s1, self.s2, self.zeros, self.nonfinite = (float(t) for t in v[:5])
        self.hist = v[5:].clone()
        if self.lo is None:  # nothing was added here: the range is unknown, so no histogram
            self.hist = None

    def summary(self) -> dict:
        n = self.n
        mean = self.s1 / n if n else float("nan")
        var = max(self.s2 / n - mean * mean, 0.0) if n else float("nan")
        out = {"count": int(n), "mean": mean, "std": math.sqrt(var) if n else float("nan"),
               "frac_zero": self.zeros / n if n else float("nan"),
               "nonfinite": int(self.nonfinite)}
        if self.hist is not None:
            out["hist"] = {"lo": self.lo, "hi": self.hi, "counts": [int(c) for c in self.hist.tolist()]}
        return out


class LayerAccumulator:
    """Everything measured on one module output (and, with a backward pass, its gradient)."""

    def __init__(self, units: int, saturation: str | None, bins: int = BINS, device=None):
        self.units = units
        self.saturation = saturation  # "tanh", "sigmoid" or None
        self.device = device
        self.act = Moments(bins)
        self.grad = Moments(bins)
        self.rows = 0.0
        z = lambda: torch.zeros(units, dtype=torch.float64, device=device)  # noqa: E731
        self.unit_s1, self.unit_s2, self.unit_nonzero = z(), z(), z()
        self.dir_sum = z()  # sum of unit-norm rows
        self.dir_n = 0.0  # rows with non-zero norm
        self.saturated = 0.0

    def add(self, x2: torch.Tensor, lo: float, hi: float) -> None:
        """Adds a ``(rows, units)`` float64 batch with histogram range ``[lo, hi]``."""
        finite = self.act.add(x2, lo, hi)
        self.rows += x2.shape[0]
        clean = x2 if finite else torch.nan_to_num(x2, nan=0.0, posinf=0.0, neginf=0.0)
        self.unit_s1 += clean.sum(0)
        self.unit_s2 += (clean * clean).sum(0)
        self.unit_nonzero += (x2 != 0).sum(0).to(torch.float64)
        norms = clean.norm(dim=1)
        keep = norms > 0
        k = float(keep.sum())
        if k > 0:
            # the sum of the unit-norm rows, as one matrix-vector product
            inv = torch.where(keep, 1.0 / torch.where(keep, norms, 1.0), 0.0)
            self.dir_sum += inv @ clean
            self.dir_n += k
        if self.saturation == "tanh":
            self.saturated += float((x2.abs() > SATURATION).sum())
        elif self.saturation == "sigmoid":
            self.saturated += float(((x2 < 1 - SATURATION) | (x2 > SATURATION)).sum())

    def add_grad(self, g2: torch.Tensor, lo: float, hi: float) -> None:
        self.grad.add(g2, lo, hi)

    def state(self) -> torch.Tensor:
        head = torch.tensor([self.rows, self.dir_n, self.saturated], dtype=torch.float64)
        return torch.cat([head, self.act.state(), self.grad.state(), self.unit_s1.cpu(),
                          self.unit_s2.cpu(), self.unit_nonzero.cpu(), self.dir_sum.cpu()])

    def load(self, v: torch.Tensor) -> None:
        self.rows, self.dir_n, self.saturated = (float(t) for t in v[:3])
        k = 3
        m = 5 + self.act.bins
        self.act.load(v[k:k + m])
        k += m
        self.grad.load(v[k:k + m])
        k += m
        u = self.units
        self.unit_s1, self.unit_s2, self.unit_nonzero, self.dir_sum = (
            v[k + i * u:k + (i + 1) * u].clone() for i in range(4)
        )  # on the CPU from here: summary() only

    def summary(self) -> dict:
        a = self.act.summary()
        out = {"mean": a["mean"], "std": a["std"], "frac_zero": a["frac_zero"],
               "nonfinite": a["nonfinite"], "units": self.units, "rows": int(self.rows)}
        r = self.rows
        if r > 0:
            um = self.unit_s1 / r
            uvar = (self.unit_s2 / r - um * um).clamp_min(0)
            out["signal"] = float(uvar.sqrt().mean())
            out["bias_spread"] = float(um.std(unbiased=False)) if self.units > 0 else 0.0
            out["frac_dead"] = float((self.unit_nonzero == 0).to(torch.float64).mean())
        n = self.dir_n
        out["correlation"] = (
            (float(self.dir_sum.dot(self.dir_sum)) - n) / (n * (n - 1)) if n >= 2 else None
        )
        out["frac_saturated"] = (
            self.saturated / self.act.n if self.saturation and self.act.n else None
        )
        if "hist" in a:
            out["hist"] = a["hist"]
        if self.grad.n > 0 or self.grad.nonfinite > 0:
            g = self.grad.summary()
            out["grad_std"] = g["std"]
            out["grad_mean"] = g["mean"]
            if "hist" in g:
                out["grad_hist"] = g["hist"]
        return out


class ParamAccumulator:
    """Moments of one parameter, its gradient and (in ``watch``) its last update."""

    def __init__(self):
        self.w = [0.0, 0.0, 0.0]
        self.g = [0.0, 0.0, 0.0]
        self.u = [0.0, 0.0, 0.0]

    @staticmethod
    def _add(acc, t):
        if t is None:
            return
        t = t.detach().reshape(-1).to(torch.float64)
        acc[0] += t.numel()
        acc[1] += float(t.sum())
        acc[2] += float((t * t).sum())

    def add(self, w, g=None, u=None) -> None:
        self._add(self.w, w)
        self._add(self.g, g)
        self._add(self.u, u)

    def state(self) -> torch.Tensor:
        return torch.tensor(self.w + self.g + self.u, dtype=torch.float64)

    def load(self, v: torch.Tensor) -> None:
        v = [float(t) for t in v]
        self.w, self.g, self.u = v[0:3], v[3:6], v[6:9]

    @staticmethod
    def _std(acc):
        n, s1, s2 = acc
        if n == 0:
            return None
        m = s1 / n
        return math.sqrt(max(s2 / n - m * m, 0.0))

    def summary(self, lr: float | None = None) -> dict:
        ws, gs, us = self._std(self.w), self._std(self.g), self._std(self.u)
        n = self.w[0]
        out = {"weight_mean": self.w[1] / n if n else None, "weight_std": ws, "weight_grad_std": gs}
        ok = ws is not None and ws > 0
        out["grad_to_data"] = gs / ws if ok and gs is not None else None
        if us is not None:
            out["update_to_data"] = us / ws if ok else None
        elif lr is not None and gs is not None:
            out["update_to_data"] = lr * gs / ws if ok else None
        else:
            out["update_to_data"] = None
        return out


def local_tensor(t: torch.Tensor) -> torch.Tensor:
    """A DTensor's local shard, or the tensor itself."""
    if type(t).__name__ == "DTensor" and hasattr(t, "to_local"):
        return t.to_local()
    return t


def reduce_range(lo: float, hi: float) -> tuple[float, float]:
    """``(min over ranks of lo, max over ranks of hi)``; the identity in one process."""
    if _dist_world() <= 1:
        return lo, hi
    t = torch.tensor([-lo, hi], dtype=torch.float64)
    t = _on_backend_device(t)
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
    t = t.cpu()
    return -float(t[0]), float(t[1])


def _on_backend_device(t: torch.Tensor) -> torch.Tensor:
    """NCCL reduces CUDA tensors only; gloo CPU ones."""
    d = torch.distributed
    try:
        backend = d.get_backend()
    except Exception:
        backend = "gloo"
    if "nccl" in str(backend) and torch.cuda.is_available():
        return t.cuda()
    return t


def reduce_states(accs: list) -> None:
    """Sums the states of ``accs`` (accumulators with ``state``/``load``) over all ranks in
    one ``all_reduce``; the identity in one process."""
    if _dist_world() <= 1 or not accs:
        return
    states = [a.state() for a in accs]
    sizes = [s.numel() for s in states]
    flat = _on_backend_device(torch.cat(states))
    torch.distributed.all_reduce(flat, op=torch.distributed.ReduceOp.SUM)
    flat = flat.cpu()
    k = 0
    for a, n in zip(accs, sizes):
        a.load(flat[k:k + n])
        k += n
