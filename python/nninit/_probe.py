"""``probe``: per-layer statistics of any ``torch.nn.Module`` on one batch, for several inits.

For each init the model's parameters are re-initialised in place (``init_module``), the batch
is pushed through (and, with ``loss_fn``, back), forward hooks record every module output
listed below, and the parameters, buffers and gradients are restored afterwards, so the
model is left as it was (no ``deepcopy``: this works for FSDP2 and DDP models too).

Which outputs are recorded:

- every **leaf module** (no children), in the order they run; a module called several times
  in one forward (a shared ``nn.ReLU``) gets one record per call (``name#2``, ``name#3``);
- every **block**: a child of an ``nn.ModuleList`` (nanoGPT's ``transformer.h``) or a child of
  an ``nn.Sequential`` that has children itself (ResNet's ``layer1.0``); its output is the
  residual stream. ``blocks=["glob", ...]`` picks them by name instead.

Statistics per record: see :mod:`nninit._stats` (``std``, ``mean``, ``signal``,
``bias_spread``, ``correlation``, ``frac_zero``, ``frac_dead``, ``frac_saturated``, ``hist``;
with ``loss_fn`` also ``grad_std`` and ``grad_hist`` of ``dL/d(output)``). Parameters: for
every parameter its std, gradient std, ``grad_to_data = std(dL/dW) / std(W)`` and the
update:data ratio of one plain SGD step, ``update_to_data = lr * std(dL/dW) / std(W)``
(Karpathy's rule of thumb: about 1e-3); a leaf module's record carries those of its
``weight``.

Across ranks (an initialised ``torch.distributed`` process group with world size > 1, each
rank with its own part of the batch): every statistic is reduced over ranks, so it equals
one process's on the concatenated batch. The loss is taken as the mean of the ranks' losses,
as DDP and FSDP average gradients: with a mean-reduced loss and equal per-rank batches the
gradient statistics equal one process's too. Parameters may be plain (replicated: their
gradients are averaged over ranks here unless the model is a ``DistributedDataParallel``,
which has done it) or DTensors (FSDP2, TP: each rank's shard counts once).
"""

from __future__ import annotations

import fnmatch
import json
import math

import torch

from . import _stats
from ._advice import ACTIVATIONS, advise
from ._render import num, render_svg, table_text

AS_IS = "as-is"


def _saturation_kind(m: torch.nn.Module) -> str | None:
    if isinstance(m, torch.nn.Tanh):
        return "tanh"
    if isinstance(m, torch.nn.Sigmoid):
        return "sigmoid"
    return None


def _activation_spec(m: torch.nn.Module) -> str | None:
    """The activation of an activation module as nninit names it (``leaky_relu:0.2``), the
    class name for other activation modules, ``None`` for anything else."""
    nn = torch.nn
    if isinstance(m, nn.ReLU):
        return "relu"
    if isinstance(m, nn.LeakyReLU):
        return f"leaky_relu:{m.negative_slope!r}"
    if isinstance(m, nn.GELU):
        return "gelu_tanh" if m.approximate == "tanh" else "gelu"
    if isinstance(m, nn.ELU):
        return f"elu:{m.alpha!r}"
    if isinstance(m, nn.Softplus) and (m.beta != 1 or m.threshold != 20):
        return "Softplus"
    simple = {nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.SiLU: "silu", nn.Mish: "mish",
              nn.SELU: "selu", nn.Softplus: "softplus"}
    for cls, name in simple.items():
        if isinstance(m, cls):
            return name
    return type(m).__name__ if type(m).__name__ in ACTIVATIONS else None


def _input_moments(batch) -> dict | None:
    """``features`` and the row moments of the batch when it is one floating tensor (the
    mean-field check of the advice for a plain MLP): every row's ``E[x^2]`` and, for the
    pairs ``(2k, 2k+1)``, ``k < min(B/2, 128)``, ``[E[x_a^2], E[x_b^2], E[x_a x_b]]`` (as
    ``nninit_diag::theory::row_pair_moments``)."""
    x = batch
    if isinstance(x, (tuple, list)) and len(x) == 1:
        x = x[0]
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() < 2 or x.shape[0] < 1:
        return None
    if type(x).__name__ == "DTensor":
        return None
    r = x.detach().reshape(x.shape[0], -1).to(torch.float64)
    if r.shape[1] == 0 or not bool(torch.isfinite(r).all()):
        return None
    m2 = (r * r).mean(1)
    k = min(r.shape[0] // 2, 128)
    a, b = r[0:2 * k:2], r[1:2 * k:2]
    pairs = torch.stack([(a * a).mean(1), (b * b).mean(1), (a * b).mean(1)], 1)
    return {"features": int(r.shape[1]), "second_moments": m2.cpu().tolist(),
            "pairs": pairs.cpu().tolist()}


def _is_parametrization(name: str) -> bool:
    """A module of ``torch.nn.utils.parametrize`` (weight_norm, spectral_norm, ...): it computes
    a weight, not an activation."""
    return name == "parametrizations" or name.startswith("parametrizations.") or ".parametrizations" in name


def _children(m: torch.nn.Module):
    """The children that run on activations (a parametrized module's ``parametrizations``
    container is not one)."""
    return [(k, c) for k, c in m.named_children() if k != "parametrizations"]


def _is_leaf(m: torch.nn.Module) -> bool:
    return not _children(m)


def find_blocks(model: torch.nn.Module, patterns=None) -> list[str]:
    """Names of the modules ``probe`` records as blocks (residual-block outputs): the children
    of an ``nn.ModuleList`` or ``nn.Sequential`` that have children of their own and are not
    plain containers (an ``nn.Sequential``, ``nn.ModuleList`` or ``nn.ModuleDict`` runs its
    layers one after the other and a single layer has no inside, so neither has a residual
    path); or, with ``patterns``, every module whose name matches one of the globs."""
    names = []
    if patterns is not None:
        for name, m in model.named_modules():
            if name and not _is_parametrization(name) and any(fnmatch.fnmatchcase(name, p) for p in patterns):
                names.append(name)
        return names
    containers = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)
    for name, m in model.named_modules():
        if _is_parametrization(name):
            continue
        if isinstance(m, (torch.nn.ModuleList, torch.nn.Sequential)):
            names.extend(
                f"{name}.{k}" if name else k
                for k, c in _children(m)
                if not isinstance(c, containers) and not _is_leaf(c)
            )
    return names


def _first_tensor(out):
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)):
        for o in out:
            if isinstance(o, torch.Tensor):
                return o
    return None


class _Recorder:
    """Forward hooks on the leaves and blocks of ``model``; one accumulator per (module, call)."""

    def __init__(self, model, blocks, feature_dim, grads, grad_scale, training_only=False):
        self.model = model
        self.training_only = training_only  # watch: forwards under no_grad are evaluation
        self.feature_dim = feature_dim
        self.grads = grads
        self.grad_scale = grad_scale
        self.records: dict[str, dict] = {}
        self.order: list[str] = []
        self.calls: dict[str, int] = {}
        self.handles = []
        block_set = set(blocks)
        for name, m in model.named_modules():
            if _is_parametrization(name):
                continue
            leaf = _is_leaf(m)
            if not name and not leaf:
                continue
            if leaf or name in block_set:
                self.handles.append(m.register_forward_hook(self._hook(name or type(m).__name__, m, name in block_set)))
        self.handles.append(model.register_forward_pre_hook(lambda *_: self.calls.clear()))

    def _hook(self, name, module, is_block):
        sat = _saturation_kind(module)

        def hook(_m, _inp, out):
            if self.training_only and not torch.is_grad_enabled():
                return
            t = _first_tensor(out)
            if t is None or not t.is_floating_point():
                return
            c = self.calls.get(name, 0) + 1
            self.calls[name] = c
            key = name if c == 1 else f"{name}#{c}"
            x2 = _stats.rows_units(t, self.feature_dim(t))
            rec = self.records.get(key)
            if rec is None:
                rec = {"name": key, "module": name, "kind": type(module).__name__,
                       "block": is_block, "activation": _activation_spec(module),
                       "acc": _stats.LayerAccumulator(x2.shape[1], sat, device=x2.device),
                       "grad_range": None}
                self.records[key] = rec
                self.order.append(key)
            lo, hi = _stats.reduce_range(*_stats.Moments.range_of(x2))
            if rec["acc"].act.hist is None:
                lo, hi = _stats.nice_range(lo, hi)
            rec["acc"].add(x2, lo, hi)
            if self.grads and t.requires_grad:
                fd = self.feature_dim(t)

                def ghook(g, rec=rec, fd=fd):
                    g2 = _stats.rows_units(g, fd) * self.grad_scale
                    glo, ghi = _stats.reduce_range(*_stats.Moments.range_of(g2))
                    if rec["acc"].grad.hist is None:
                        glo, ghi = _stats.nice_range(glo, ghi)
                    rec["acc"].add_grad(g2, glo, ghi)

                t.register_hook(ghook)

        return hook

    def remove(self):
        for h in self.handles:
            h.remove()
        self.handles = []


def _call(model, batch):
    if isinstance(batch, dict):
        return model(**batch)
    if isinstance(batch, (tuple, list)):
        return model(*batch)
    return model(batch)


def _apply_init(model, init, seed):
    from .torch import init_module

    if isinstance(init, str) and init == AS_IS:
        return
    if callable(init):
        init(model)
        return
    init_module(model, init, seed=seed)


def _label(init, k) -> str:
    if isinstance(init, str):
        if init == AS_IS:
            return AS_IS
        from . import _nninit

        if init in _nninit.recipe_names():
            return init
        return _nninit.canonical_init(init)
    if callable(init):
        return getattr(init, "__name__", f"init {k + 1}")
    return f"rules {k + 1}"


def _feature_dim_fn(feature_dim):
    if feature_dim is not None:
        if isinstance(feature_dim, bool) or not isinstance(feature_dim, int):
            raise TypeError(f"feature_dim must be an int (the units dim of module outputs), got {feature_dim!r}")

        def fd(t):
            if t.dim() >= 2 and not -t.dim() <= feature_dim < t.dim():
                raise ValueError(
                    f"feature_dim={feature_dim} is out of range for a module output of shape "
                    f"{tuple(t.shape)} (dims -{t.dim()}..{t.dim() - 1}); pass the units dim, or "
                    "None for the default (1 for 4-d/5-d outputs, else the last)"
                )
            return feature_dim

        return fd
    # channels-first images and volumes (B, C, H, W[, D]); otherwise the last dim
    return lambda t: 1 if t.dim() in (4, 5) else -1


def _is_ddp(model) -> bool:
    return isinstance(model, torch.nn.parallel.DistributedDataParallel)


class ProbeReport:
    """What :func:`probe` measured: ``runs`` (one dict per init: ``name``, ``layers``,
    ``params``, ``loss``, ``advice``) and ``meta``. Render with :meth:`table`,
    :meth:`to_json`, :meth:`plot` (SVG) and :meth:`html` (one self-contained file)."""

    def __init__(self, runs: list[dict], meta: dict):
        self.runs = runs
        self.meta = meta

    def document(self) -> dict:
        """The report as the document ``nninit`` renders (``nninit_report: 1``)."""
        return {"nninit_report": 1, "kind": "probe", "title": self.meta.get("title", "nninit probe"),
                "subtitle": self.meta.get("subtitle", ""),
                "meta": {k: v for k, v in self.meta.items() if k not in ("title", "subtitle")},
                "runs": self.runs}

    def to_json(self, indent: int | None = None) -> str:
        """The report document as JSON (NaN and infinities as ``null``)."""
        return json.dumps(_clean(self.document()), indent=indent, allow_nan=False)

    def table(self, stats=("std", "signal", "correlation"), blocks_only: bool = False) -> str:
        """Text tables as the CLI prints them: one per statistic (rows: module outputs, columns:
        inits), then gradient tables (with ``loss_fn``) and the advice. ``stats``: one name or
        a sequence of names of ``std``, ``mean``, ``signal``, ``bias_spread``, ``correlation``,
        ``frac_zero``, ``frac_dead``, ``frac_saturated``, ``grad_std`` (``ValueError`` for
        others)."""
        from ._render import STAT_TITLES

        if isinstance(stats, str):
            stats = (stats,)
        bad = [x for x in stats if x not in STAT_TITLES]
        if bad:
            names = ", ".join(STAT_TITLES)
            raise ValueError(f"table: unknown statistic(s) {', '.join(map(repr, bad))}; expected some of: {names}")
        return table_text(self.document(), stats, blocks_only)

    def __str__(self) -> str:
        return self.table()

    def plot(self, path: str) -> None:
        """Writes an SVG chart: std, signal and correlation per module output (and gradient std
        with ``loss_fn``), one line per init."""
        _check_suffix(path, (".svg",), "plot", "an SVG chart")
        svg = render_svg(_clean(self.document()))
        _write_atomic(path, svg)

    def html(self, path: str) -> None:
        """Writes one self-contained HTML report (no network: inline CSS, JS and SVG)."""
        from . import _nninit

        _check_suffix(path, (".html", ".htm"), "html", "an HTML page")
        _write_atomic(path, _nninit.render_html(self.to_json()))


def _clean(x):
    """NaN/inf as None (JSON null)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x


def _check_suffix(path, suffixes, what, kind) -> None:
    import os

    if not os.fspath(path).lower().endswith(suffixes):
        raise ValueError(f"{what}: {os.fspath(path)!r} must end in {' or '.join(suffixes)}: it is written as {kind}")


def _write_atomic(path: str, text: str) -> None:
    import os
    import tempfile

    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise FileNotFoundError(f"cannot write {path}: the directory {d} does not exist")
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".nninit-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        # mkstemp makes the file 0600: give it the mode of a file made with open()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def probe(
    model: torch.nn.Module,
    batch,
    *,
    inits=(AS_IS,),
    loss_fn=None,
    seed: int = 0,
    lr: float = 0.01,
    blocks=None,
    feature_dim: int | None = None,
) -> ProbeReport:
    r"""Per-layer statistics of ``model`` on ``batch`` for each init.

    Args:
        model: any ``nn.Module`` (plain, DDP or FSDP2; CPU or CUDA). Left as it was: its
            parameters, buffers, gradients and the global RNG state are restored.
        batch: the input: a tensor (``model(batch)``), a tuple/list (``model(*batch)``) or a
            dict (``model(**batch)``). Under ``torch.distributed``, each rank's part.
        inits: a list of inits, or a dict ``{label: init}``. An init is ``"as-is"`` (the
            current weights), a scheme string or a list of ``(glob, scheme)`` rules (both as
            :func:`nninit.torch.init_module` takes them, keyed by ``seed``), or a callable
            ``f(model)`` that initialises in place (e.g. a recipe).
        loss_fn: ``loss_fn(output) -> scalar tensor``; with it a backward pass adds gradient
            statistics (e.g. ``lambda out: F.cross_entropy(out, y)``).
        seed: the init seed, and the torch RNG seed of the forward (dropout) for every init.
        lr: SGD learning rate of ``update_to_data`` (``lr * std(dL/dW) / std(W)``).
        blocks: globs naming the block modules (default: see the module docs).
        feature_dim: the unit dim of module outputs (default 1 for 4-d and 5-d outputs,
            ``(B, C, H, W)``, else the last dim).

    Returns:
        a :class:`ProbeReport`.

    Raises:
        TypeError: ``model`` is not a module, or ``inits`` has an entry of the wrong type.
        ValueError: an init ``init_module`` rejects (the message names the parameter).

    Example:
        >>> rep = nninit.torch.probe(model, x, inits=["as-is", "kaiming_normal", "normal:0.02"],
        ...                          loss_fn=lambda out: F.cross_entropy(out, y))
        >>> print(rep.table())
        >>> rep.html("report.html")
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"probe expects a torch.nn.Module, got {type(model).__name__}")
    if isinstance(inits, dict):
        entries = list(inits.items())
        for label, _ in entries:
            if not isinstance(label, str):
                raise TypeError(f"probe: the labels of an inits dict must be strings, got {label!r}")
    else:
        if isinstance(inits, str):
            inits = [inits]
        entries = []
        for k, i in enumerate(inits):
            label = _label(i, k)
            if any(label == e[0] for e in entries):
                if isinstance(i, str):
                    raise ValueError(f"probe: init {label!r} is given twice (each init is one column)")
                n = 2
                while any(f"{label} ({n})" == e[0] for e in entries):
                    n += 1
                label = f"{label} ({n})"
            entries.append((label, i))
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise ValueError(f"probe: seed must be an int in [0, 2**64), got {seed!r}")
    _check_batch(batch)
    for label, init in entries:
        if not (isinstance(init, str) or callable(init) or isinstance(init, (list, tuple))):
            raise TypeError(
                f"probe: init {label!r} must be 'as-is', a scheme string, a list of (glob, scheme) "
                f"rules or a callable(model), got {type(init).__name__}"
            )
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"probe: lr must be finite and > 0, got {lr!r}")
    world = _stats._dist_world()
    block_names = find_blocks(model, blocks)
    fdim = _feature_dim_fn(feature_dim)

    params = list(model.named_parameters())
    buffers = list(model.named_buffers())
    saved = [(t, _stats.local_tensor(t).detach().clone()) for _, t in params + buffers]
    saved_grads = [(p, p.grad) for _, p in params]
    saved_grads += [(t, t.grad) for t in _tensors(batch) if t.requires_grad and t.is_leaf]
    devices = sorted({p.device.index for _, p in params if p.device.type == "cuda"})
    inputs = _input_moments(batch)
    runs = []
    try:
        for label, init in entries:
            for p, _ in saved_grads:
                p.grad = None
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(seed)
                _apply_init(model, init, seed)
                _check_same_parameters(model, params, label)
                rec = _Recorder(model, block_names, fdim, loss_fn is not None, 1.0 / world)
                try:
                    with torch.set_grad_enabled(loss_fn is not None):
                        out = _call(model, batch)
                        loss = None
                        if loss_fn is not None:
                            loss_t = loss_fn(out)
                            if not isinstance(loss_t, torch.Tensor) or loss_t.numel() != 1:
                                raise TypeError(
                                    "probe: loss_fn must return a scalar tensor (it is "
                                    f"back-propagated), got {type(loss_t).__name__}"
                                    + (f" of shape {tuple(loss_t.shape)}" if isinstance(loss_t, torch.Tensor) else "")
                                )
                            if not loss_t.requires_grad:
                                raise ValueError(
                                    "probe: the loss does not require grad (no trainable parameter "
                                    "reaches it: a frozen model?); probe it without loss_fn"
                                )
                            loss_t.backward()
                            loss = _mean_over_ranks(float(loss_t.detach()), world)
                finally:
                    rec.remove()
            runs.append(_collect(label, rec, params, loss, lr, world, _is_ddp(model), inputs))
            with torch.no_grad():
                for t, v in saved:
                    _stats.local_tensor(t).copy_(v)
    finally:
        with torch.no_grad():
            for t, v in saved:
                _stats.local_tensor(t).copy_(v)
        for p, g in saved_grads:
            p.grad = g
    meta = {
        "title": f"nninit probe: {type(model).__name__}",
        "subtitle": f"{len(runs)} init(s), seed {seed}" + (f", {world} ranks" if world > 1 else ""),
        "model": type(model).__name__,
        "parameters": sum(p.numel() for _, p in params),
        "seed": seed,
        "lr": lr,
        "world_size": world,
        "blocks": block_names,
    }
    return ProbeReport(runs, meta)


def _tensors(batch):
    if isinstance(batch, torch.Tensor):
        yield batch
    elif isinstance(batch, dict):
        for v in batch.values():
            yield from _tensors(v)
    elif isinstance(batch, (tuple, list)):
        for v in batch:
            yield from _tensors(v)


def _check_batch(batch) -> None:
    """An empty batch, or non-finite inputs, would only give NaN statistics and wrong advice."""
    for t in _tensors(batch):
        if t.is_meta:
            continue
        if t.dim() >= 1 and t.shape[0] == 0:
            raise ValueError(f"probe: the batch is empty (a tensor of shape {tuple(t.shape)}); pass at least 2 examples")
        if t.is_floating_point() and type(t).__name__ != "DTensor" and not bool(torch.isfinite(t).all()):
            raise ValueError("probe: the batch contains NaN or inf values; the statistics and advice "
                             "would describe them, not the init")


def _check_same_parameters(model, params, label) -> None:
    """A callable init must initialise in place: a replaced or added parameter would not be
    restored (and an optimizer would lose it). The original objects are put back first."""
    now = dict(model.named_parameters())
    before = dict(params)
    changed = [n for n, p in before.items() if now.get(n) is not p]
    added = [n for n in now if n not in before]
    if not changed and not added:
        return
    for n in changed:
        mod, _, leaf = n.rpartition(".")
        setattr(model.get_submodule(mod) if mod else model, leaf, before[n])
    what = (f"replaced {', '.join(changed)}" if changed else "") + ("; " if changed and added else "") + \
        (f"added {', '.join(added)}" if added else "")
    raise ValueError(f"probe: init {label!r} {what}: an init must fill the existing parameters in place "
                     "(e.g. with torch.no_grad(): p.copy_(...)); the original parameters were put back"
                     + (" (added modules were not removed)" if added else ""))


def _mean_over_ranks(x: float, world: int) -> float:
    if world <= 1:
        return x
    t = _stats._on_backend_device(torch.tensor([x], dtype=torch.float64))
    torch.distributed.all_reduce(t)
    return float(t.cpu()[0]) / world


def _collect(label, rec, params, loss, lr, world, ddp, inputs=None) -> dict:
    accs = [rec.records[k]["acc"] for k in rec.order]
    paccs = []
    for name, p in params:
        g = p.grad
        if g is not None and world > 1 and not ddp and type(p).__name__ != "DTensor":
            g = _stats._on_backend_device(g.detach().clone())
            torch.distributed.all_reduce(g)
            g = g / world
        a = _stats.ParamAccumulator()
        a.add(_stats.local_tensor(p), None if g is None else _stats.local_tensor(g))
        paccs.append((name, p, a))
    _stats.reduce_states(accs + [a for _, _, a in paccs])
    pstats = {}
    plist = []
    for name, p, a in paccs:
        s = {"name": name, "shape": list(p.shape), **a.summary(lr=lr if loss is not None else None)}
        if loss is None:
            s.pop("weight_grad_std", None)
            s.pop("grad_to_data", None)
            s.pop("update_to_data", None)
        pstats[name] = s
        plist.append(s)
    layers = []
    for k in rec.order:
        r = rec.records[k]
        d = {"name": r["name"], "kind": r["kind"], "block": r["block"], **r["acc"].summary()}
        if r["activation"] is not None:
            d["activation"] = r["activation"]
        prefix = f"{r['module']}." if r["module"] else ""
        first_call = r["name"] == r["module"]
        w = pstats.get(prefix + "weight") if first_call else None
        if w is not None:
            for key in ("weight_std", "weight_grad_std", "grad_to_data", "update_to_data"):
                if key in w:
                    d[key] = w[key]
        b = pstats.get(prefix + "bias") if first_call else None
        if b is not None:
            d["bias_mean"], d["bias_std"] = b.get("weight_mean"), b.get("weight_std")
        layers.append(d)
    run = {"name": label, "layers": layers, "params": plist, "loss": loss}
    run["advice"] = advise(run, inputs)
    return run
