"""Advice for one probed init: the one place the Python report asks for it.

``advise(run)`` takes a run of the report document (``layers`` with their statistics, see
:mod:`nninit._stats`) and returns a list of advice entries with the CLI's fields
(``symptom``, ``from_layer``, ``to_layer``, ``measured_factor``, ``cause``,
``suggested_init``, ``suggested_gain``, ``predicted_factor_with_fix``).

When the native module has ``advise_json`` (nninit-diag's advice from plain per-layer
statistics, as the CLI uses), it is used; otherwise a local rule with the same thresholds
(a factor of 2 either way over the chain, 20 % saturation, 50 % dead units, correlation
0.99, gradients shrinking 100x) on the chain of outputs: the blocks when there are two or
more, else the activation modules' outputs, else every leaf output.
"""

from __future__ import annotations

import json
import math

ACTIVATIONS = {
    "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "SiLU", "Mish", "ELU", "SELU", "CELU",
    "Softplus", "ReLU6", "Hardtanh", "Hardswish", "Hardsigmoid", "PReLU", "RReLU", "Softsign",
}

FACTOR = 2.0
SATURATED = 0.2
DEAD = 0.5
COLLAPSED = 0.99
GRAD_SHRINK = 100.0


def chain(layers: list[dict]) -> list[dict]:
    """The sequence of outputs the advice reads (first calls only)."""
    first = [l for l in layers if "#" not in l["name"]]
    blocks = [l for l in first if l.get("block")]
    if len(blocks) >= 2:
        return blocks
    acts = [l for l in first if l.get("kind") in ACTIVATIONS]
    return acts if len(acts) >= 2 else [l for l in first if not l.get("block")]


def _entry(symptom, a, b, factor, cause):
    return {"symptom": symptom, "from_layer": a["name"], "to_layer": b["name"],
            "measured_factor": factor, "cause": cause, "suggested_init": None,
            "suggested_gain": None, "predicted_factor_with_fix": None}


def advise(run: dict) -> list[dict]:
    """Flagged spans of ``run`` (see the module docs)."""
    try:
        from . import _nninit

        native = getattr(_nninit, "advise_json", None)
    except ImportError:  # pragma: no cover
        native = None
    if native is not None:
        return json.loads(native(json.dumps(run, allow_nan=False, default=lambda _: None)))
    return local_advice(run)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def local_advice(run: dict) -> list[dict]:
    """The local rule (see the module docs)."""
    c = chain(run.get("layers", []))
    out = []
    if len(c) < 2:
        return out
    bad = [l for l in c if l.get("nonfinite") or not _finite(l.get("std"))]
    if bad:
        out.append(_entry("exploding", bad[0], c[-1], None,
                          f"inf/NaN from {bad[0]['name']}: the signal overflows (weights far too large)"))
        return out
    zero = [l for l in c if l["std"] == 0]
    if zero:
        out.append(_entry("vanishing", zero[0], c[-1], 0.0,
                          "all outputs are constant: zero (or constant) weights carry no signal"))
        return out
    a, b = c[0], c[-1]
    total = b["std"] / a["std"]
    per = total ** (1.0 / (len(c) - 1))
    if total < 1 / FACTOR or total > FACTOR:
        kind = "vanishing" if total < 1 else "exploding"
        out.append(_entry(kind, a, b, total,
                          f"std x{per:.3g} per output, x{total:.3g} from {a['name']} to {b['name']}: "
                          f"weights too {'small' if total < 1 else 'large'} for this depth"))
    corr = [l.get("correlation") for l in c]
    if _finite(corr[-1]) and corr[-1] > COLLAPSED and not (_finite(corr[0]) and corr[0] > COLLAPSED):
        k = next(i for i, x in enumerate(corr) if _finite(x) and x > COLLAPSED)
        out.append(_entry("collapse", c[k], b, corr[-1],
                          f"inputs no longer told apart: mean cosine similarity {corr[-1]:.4f} "
                          f"(the spread left is the same for every input)"))
    sig = [l for l in c[1:] if _finite(l.get("signal")) and l["std"] > 0 and l["signal"] < 0.01 * l["std"]]
    if sig:
        out.append(_entry("signal_collapse", sig[0], sig[-1], sig[-1]["signal"] / sig[-1]["std"],
                          "the std is bias spread across units, not signal: each unit's output "
                          "hardly depends on the input"))
    sat = [l for l in c[1:] if _finite(l.get("frac_saturated")) and l["frac_saturated"] > SATURATED]
    if sat:
        w = max(l["frac_saturated"] for l in sat)
        out.append(_entry("saturation", sat[0], sat[-1], w,
                          f"up to {100 * w:.0f}% of outputs saturated: pre-activations too large, "
                          "gradients through them ~0"))
    dead = [l for l in c if _finite(l.get("frac_dead")) and l["frac_dead"] > DEAD]
    if dead:
        w = max(l["frac_dead"] for l in dead)
        out.append(_entry("dead_relu", dead[0], dead[-1], w,
                          f"up to {100 * w:.0f}% of units are 0 for every input"))
    ga, gb = a.get("grad_std"), b.get("grad_std")
    if _finite(ga) and _finite(gb) and gb > 0 and ga / gb < 1 / GRAD_SHRINK:
        out.append(_entry("vanishing_gradient", a, b, ga / gb,
                          f"dL/d(output) is {gb / ga:.3g}x smaller at {a['name']} than at {b['name']}: "
                          "the first layers will hardly learn"))
    return out
