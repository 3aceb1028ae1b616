"""``watch``: the probe's per-layer statistics during training, every ``every`` optimizer steps,
with the update:data ratio of every parameter, as JSON lines.

Usage::

    w = nninit.torch.watch(model, optimizer=opt, every=100, path="watch.jsonl")
    for x, y in data:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        w.loss(loss)            # optional: the loss is recorded at watched steps
        opt.step(); opt.zero_grad()
    w.close()                   # or use `with nninit.torch.watch(...) as w:`
    w.html("watch.html")

How the steps are counted: with ``optimizer=`` the watch registers the optimizer's step pre-
and post-hooks (``Optimizer.register_step_pre_hook``), so each ``opt.step()`` is a step and
nothing else is needed; the update is measured, ``ΔW = W_after - W_before``, so the
update:data ratio ``std(ΔW) / std(W_before)`` is the real one for any optimizer (Adam
included; Karpathy's makemore plots ``log10`` of it against -3). Without an optimizer, call
``w.step()`` after each optimizer step; the update ratio is then missing and only
``grad_to_data = std(dL/dW) / std(W)`` is recorded.

At a watched step (steps 0, every, 2·every, ...) forward hooks are put on the model's leaves and
blocks (as in :func:`nninit.torch.probe`) before its forward and taken off at its optimizer
step, so the steps in between run with no hooks at all. Every forward with gradients enabled
between those two points is pooled (gradient-accumulation micro-batches); forwards under
``torch.no_grad()`` or ``torch.inference_mode()`` (an evaluation after ``optimizer.step()``)
are not recorded.
Under ``torch.distributed`` the statistics are reduced over ranks (as in ``probe``) and rank 0
writes the file.

The file: a header line ``{"nninit_watch": 1, "model": ..., "every": N}`` then one line per
watched step ``{"step", "loss", "layers": [...], "params": [...]}`` (the probe's per-layer
fields, histograms only with ``histograms=True``; per parameter ``weight_std``,
``weight_grad_std``, ``grad_to_data``, ``update_to_data``). Each line is written whole and
flushed.
"""

from __future__ import annotations

import json

import torch

from . import _stats
from ._probe import _check_suffix, _clean, _feature_dim_fn, _Recorder, _write_atomic, find_blocks


class Watch:
    """Per-layer statistics during training (see the module docs); from :func:`watch`."""

    def __init__(self, model, *, every=100, path=None, optimizer=None, blocks=None,
                 feature_dim=None, histograms=False, name=None):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"watch expects a torch.nn.Module, got {type(model).__name__}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"watch: every must be a positive int (steps between records), got {every!r}")
        if optimizer is not None and not hasattr(optimizer, "register_step_pre_hook"):
            raise TypeError("watch: optimizer must be a torch.optim.Optimizer (it needs step hooks)")
        self.model = model
        self.every = every
        self.path = path
        self.optimizer = optimizer
        self.histograms = histograms
        self.name = name or type(model).__name__
        self.blocks = find_blocks(model, blocks)
        self.fdim = _feature_dim_fn(feature_dim)
        self.records: list[dict] = []
        self.n = 0
        self._rec = None
        self._loss = None
        self._before = None
        self._hooks = []
        self._file = None
        self._rank0 = _rank() == 0
        if path is not None and self._rank0:
            self._file = open(path, "w", encoding="utf-8")
            self._write({"nninit_watch": 1, "model": self.name, "every": every,
                         "blocks": self.blocks})
        if optimizer is not None:
            self._hooks.append(optimizer.register_step_pre_hook(lambda *_: self._pre_step()))
            self._hooks.append(optimizer.register_step_post_hook(lambda *_: self._post_step()))
        self._arm()

    # ------------------------------------------------------------------ the step cycle
    def _arm(self):
        if self.n % self.every == 0 and self._rec is None:
            self._rec = _Recorder(self.model, self.blocks, self.fdim, True, 1.0 / _stats._dist_world(),
                                  training_only=True)
            self._loss = None

    def _params(self):
        return list(self.model.named_parameters())

    def _pre_step(self):
        if self._rec is None:
            return
        self._before = [(n, p, _stats.local_tensor(p).detach().clone()) for n, p in self._params()]

    def _post_step(self):
        if self._rec is None:
            self.n += 1
            self._arm()
            return
        paccs = []
        for name, p, old in self._before or []:
            a = _stats.ParamAccumulator()
            g = p.grad
            new = _stats.local_tensor(p).detach()
            a.add(old, None if g is None else _stats.local_tensor(g), new - old)
            paccs.append((name, p, a))
        self._before = None
        self._finish(paccs)

    def step(self, loss=None):
        """Marks the end of a step (call after ``optimizer.step()``) when the watch was made
        without ``optimizer=``; ``loss`` (a number or scalar tensor) is recorded at watched
        steps."""
        if self.optimizer is not None:
            raise RuntimeError("watch(optimizer=...) counts steps itself; do not call step()")
        if loss is not None:
            self.loss(loss)
        if self._rec is None:
            self.n += 1
            self._arm()
            return
        paccs = []
        for name, p in self._params():
            a = _stats.ParamAccumulator()
            g = p.grad
            a.add(_stats.local_tensor(p), None if g is None else _stats.local_tensor(g))
            paccs.append((name, p, a))
        self._finish(paccs)

    def loss(self, value):
        """Records the loss of the current step (kept only at watched steps). Call it after
        the backward pass and **before** ``optimizer.step()``: after the step the watch has
        moved to the next step, and a loss given then (before any forward of that step) is not
        recorded, with a warning."""
        if self._rec is not None:
            if not self._rec.order:
                import warnings

                warnings.warn(
                    "Watch.loss() was called before any forward of the watched step: the loss of "
                    "the step that just ended is not recorded; call w.loss(loss) before "
                    "optimizer.step() (or pass it to w.step(loss))",
                    stacklevel=2,
                )
                return
            self._loss = float(value.detach()) if isinstance(value, torch.Tensor) else float(value)

    def _finish(self, paccs):
        rec = self._rec
        rec.remove()
        self._rec = None
        accs = [rec.records[k]["acc"] for k in rec.order]
        _stats.reduce_states(accs + [a for _, _, a in paccs])
        layers = []
        for k in rec.order:
            r = rec.records[k]
            d = {"name": r["name"], "kind": r["kind"], "block": r["block"], **r["acc"].summary()}
            if not self.histograms:
                d.pop("hist", None)
                d.pop("grad_hist", None)
            layers.append(d)
        params = []
        for name, p, a in paccs:
            s = a.summary()
            params.append({"name": name, "shape": list(p.shape), **s})
        line = _clean({"step": self.n, "loss": self._loss, "layers": layers, "params": params})
        self.records.append(line)
        self._write(line)
        self.n += 1
        self._arm()

    def _write(self, obj):
        if self._file is not None:
            self._file.write(json.dumps(_clean(obj), allow_nan=False) + "\n")
            self._file.flush()

    # ------------------------------------------------------------------ output
    def close(self):
        """Takes every hook off and closes the file."""
        for h in self._hooks:
            h.remove()
        self._hooks = []
        if self._rec is not None:
            self._rec.remove()
            self._rec = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def document(self) -> dict:
        """The records as a report document (``nninit_report: 1``, kind ``watch``)."""
        return watch_document(self.records, self.name, self.every)

    def html(self, path):
        """Writes the HTML report of the records so far (see :func:`nninit.torch.probe`)."""
        from . import _nninit

        _check_suffix(path, (".html", ".htm"), "html", "an HTML page")
        _write_atomic(path, _nninit.render_html(json.dumps(_clean(self.document()), allow_nan=False)))


def watch_document(records: list[dict], name: str, every: int) -> dict:
    """A report document of watch records: the steps, and the last step's layers."""
    run = {"name": name, "steps": records}
    if records:
        run["layers"] = records[-1]["layers"]
        run["params"] = records[-1]["params"]
    return {"nninit_report": 1, "kind": "watch", "title": f"nninit watch: {name}",
            "subtitle": f"{len(records)} watched steps, every {every}",
            "meta": {"every": every, "watched steps": len(records)}, "runs": [run]}


def load_watch(path) -> dict:
    """The report document of a watch file (JSON lines as :class:`Watch` writes them)."""
    with open(path, encoding="utf-8") as f:
        raw = [(i + 1, s) for i, s in enumerate(f) if s.strip()]
    lines = []
    for k, (no, s) in enumerate(raw):
        try:
            lines.append(json.loads(s))
        except json.JSONDecodeError as e:
            if k == len(raw) - 1 and not s.endswith("\n"):
                import warnings

                warnings.warn(f"{path}: line {no} is cut off (a run stopped while writing it): "
                              "left out", stacklevel=2)
                break
            raise ValueError(f"{path}: line {no} is not JSON ({e.msg}); not an nninit watch file?") from None
    if not lines or lines[0].get("nninit_watch") != 1:
        raise ValueError(f"{path}: not an nninit watch file (no {{\"nninit_watch\": 1}} header line)")
    head = lines[0]
    return watch_document(lines[1:], head.get("model", "model"), head.get("every", 0))


def _rank() -> int:
    d = torch.distributed
    return d.get_rank() if d.is_available() and d.is_initialized() else 0


def watch(model, *, every=100, path=None, optimizer=None, blocks=None, feature_dim=None,
          histograms=False, name=None) -> Watch:
    """Per-layer statistics of ``model`` every ``every`` optimizer steps (see
    :class:`Watch` and the module docs for the counting rule and the file format).

    Args:
        model: the ``nn.Module`` being trained.
        every: steps between records (step 0 is recorded).
        path: a file for the JSON lines (rank 0 writes it), or None to keep them in memory
            (``Watch.records``).
        optimizer: the ``torch.optim.Optimizer``: steps are counted by its step hooks and the
            real update ``ΔW`` is measured; without it call ``Watch.step()``.
        blocks, feature_dim: as :func:`nninit.torch.probe`.
        histograms: also record histograms (bigger lines).
        name: the run's name in the report (default: the model's class).

    Raises:
        TypeError: ``model`` is not a module, ``optimizer`` has no step hooks.
        ValueError: ``every`` is not a positive int.
    """
    return Watch(model, every=every, path=path, optimizer=optimizer, blocks=blocks,
                 feature_dim=feature_dim, histograms=histograms, name=name)


__all__ = ["Watch", "watch", "load_watch", "watch_document"]
