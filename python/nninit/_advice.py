"""Advice for one probed init: ``nninit probe``'s rules, applied by the native module.

``advise(run, inputs)`` hands the run's layer records (see :mod:`nninit._stats`) and, when the
batch is one tensor, its moments to ``nninit_diag::advice::module::advise_module`` and returns its
findings as dicts with the CLI's fields: ``symptom`` (``vanishing``, ``exploding``,
``overflow``, ``dead_relu``, ``constant_weights``, ``collapse``, ``vanishing_gradients``,
``chaos``, ``saturation``), ``from_layer``, ``to_layer``, ``steps``, ``factor_per_layer``,
``factor_total``, ``basis`` (``measured`` or ``predicted``), ``cause``, ``fix`` (for a plain
MLP: ``{"init", "gain", "rationale", "std_factor", "grad_factor", "cosine"}``, an init the
mean field predicts passes every rule) and ``remedy`` (text, when no checked fix exists).
Which outputs the rules read (blocks, activations) and the thresholds are documented there
and in ``docs/theory.md`` section 7. ``text(name, advice)`` prints them as the CLI does.
"""

from __future__ import annotations

import json
import math

from . import _nninit

# Activation module classes: their outputs form the chain the advice reads when the model has
# no blocks.
ACTIVATIONS = {
    "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "SiLU", "Mish", "ELU", "SELU", "CELU",
    "Softplus", "ReLU6", "Hardtanh", "Hardswish", "Hardsigmoid", "PReLU", "RReLU", "Softsign",
}

_FIELDS = (
    "name", "kind", "block", "activation", "units", "rows", "mean", "std", "signal",
    "bias_spread", "correlation", "frac_zero", "frac_dead", "frac_saturated", "nonfinite",
    "weight_std", "bias_mean", "bias_std", "grad_std",
)


def _finite_or_none(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def advise(run: dict, inputs: dict | None = None) -> list[dict]:
    """The findings for ``run`` (its ``layers``), see the module docs."""
    layers = [{k: _finite_or_none(l.get(k)) for k in _FIELDS if k in l} for l in run.get("layers", [])]
    doc = {"layers": layers}
    if inputs is not None:
        doc["input"] = inputs
    return json.loads(_nninit.advise_json(json.dumps(doc, allow_nan=False)))


def text(name: str, advice: list[dict]) -> str:
    """The advice of one init as ``nninit probe`` prints it (empty when nothing was flagged)."""
    return _nninit.advice_text(name, json.dumps(advice, allow_nan=False))
