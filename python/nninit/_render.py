"""Text tables and a static SVG chart of a report document (``nninit_report: 1``).

The text follows the CLI (``crates/nninit-cli/src/report/text.rs``: ``render`` and ``num``):
the first column left-aligned, the others right-aligned, dashes under the header, numbers
with 4 decimals between 1e-3 and 1e4 and ``1.50e-7`` style otherwise. The SVG is drawn
here (no plotting library): one panel per statistic, a line per init, the legend to the
right of the plot area, log axes labelled at every power of ten, the Okabe-Ito palette.
"""

from __future__ import annotations

import math
from html import escape

# Okabe & Ito (2008), colour-blind safe; yellow left out (too pale on white)
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

STAT_TITLES = {
    "std": "activation std (population, over rows x units)",
    "mean": "activation mean",
    "signal": "signal: mean over units of each unit's std across rows",
    "bias_spread": "bias spread: std over units of each unit's mean",
    "correlation": "mean cosine similarity between different rows (inputs)",
    "frac_zero": "exact zeros",
    "frac_dead": "units 0 for every row (dead)",
    "frac_saturated": "saturated (|tanh|>0.97, sigmoid<0.03 or >0.97)",
    "grad_std": "gradient std of the output, std(dL/dh)",
}
PERCENT = {"frac_zero", "frac_dead", "frac_saturated"}


def num(x) -> str:
    """A statistic as the CLI prints it (``-`` for missing)."""
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.4f}"
    m, e = f"{x:.2e}".split("e")
    return f"{m}e{int(e)}"


def render(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded; the first left-aligned, the others right-aligned (as the CLI)."""
    w = [len(h) for h in header]
    for r in rows:
        for i, c in enumerate(r[: len(header)]):
            w[i] = max(w[i], len(c))

    def line(cells):
        s = ""
        for i, c in enumerate(cells):
            if i == 0:
                s += c + " " * (w[0] - len(c)) if len(cells) > 1 else c
            else:
                s += "  " + " " * (w[i] - len(c)) + c
        return s.rstrip() + "\n"

    sep = "  ".join("-" * n for n in w) + "\n"
    return line(header) + sep + "".join(line(r) for r in rows)


def _rows_of(run, blocks_only):
    return [l for l in run["layers"] if l.get("block") or not blocks_only]


def _fmt(stat, v):
    if v is None:
        return "-"
    if stat in PERCENT:
        return f"{100 * v:.1f}%"
    return num(v)


def table_text(doc: dict, stats, blocks_only: bool = False) -> str:
    """The CLI-style tables of a report document."""
    runs = doc["runs"]
    out = doc.get("title", "") + "\n"
    if doc.get("subtitle"):
        out += doc["subtitle"] + "\n"
    out += "\n"
    if not runs:
        return out + "nothing probed\n"
    header = ["module output"] + [r["name"] for r in runs]
    names = [l["name"] for l in _rows_of(runs[0], blocks_only)]
    index = [{l["name"]: l for l in r["layers"]} for r in runs]
    kinds = {l["name"]: (l["kind"], l.get("block")) for l in runs[0]["layers"]}

    def label(n):
        k, b = kinds[n]
        return f"{n} ({k}{', block' if b else ''})"

    has_loss = any(r.get("loss") is not None for r in runs)
    for stat in stats:
        if stat == "grad_std" and has_loss:
            continue  # printed with the backward pass below
        if not any(stat in l for ix in index for l in ix.values()):
            continue
        out += STAT_TITLES.get(stat, stat) + ":\n"
        rows = [[label(n)] + [_fmt(stat, ix.get(n, {}).get(stat)) for ix in index] for n in names]
        out += render(header, rows) + "\n"
    if has_loss:
        out += "backward pass on the same batch:\n"
        out += render(header, [["loss"] + [num(r.get("loss")) for r in runs]]) + "\n"
        out += STAT_TITLES["grad_std"] + ":\n"
        rows = [[label(n)] + [_fmt("grad_std", ix.get(n, {}).get("grad_std")) for ix in index] for n in names]
        out += render(header, rows) + "\n"
        lr = doc.get("meta", {}).get("lr")
        pnames = [p["name"] for p in runs[0]["params"] if len(p["shape"]) >= 2]
        pindex = [{p["name"]: p for p in r["params"]} for r in runs]
        for key, title in (("grad_to_data", "grad:data ratio std(dL/dW)/std(W), weights of 2+ dims:"),
                           ("update_to_data", f"update:data ratio std(lr*dL/dW)/std(W), SGD lr {lr} (rule of thumb ~1e-3):")):
            out += title + "\n"
            rows = [[n] + [num(px.get(n, {}).get(key)) for px in pindex] for n in pnames]
            out += render(["parameter"] + [r["name"] for r in runs], rows) + "\n"
    out += "advice:\n"
    for r in runs:
        adv = r.get("advice") or []
        if not adv:
            out += f"  {r['name']}: none\n"
        elif all(isinstance(a, dict) and "basis" in a for a in adv):
            from ._advice import text

            out += text(r["name"], adv)
        else:  # advice written by another producer: one line each
            for a in adv:
                out += f"  {r['name']}: {a}\n"
    return out


# ------------------------------------------------------------------------------- SVG


def _ticks_log(lo, hi):
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    step = max(1, math.ceil((b - a) / 8))
    return [10.0**k for k in range(a, b + 1, step)], 10.0**a, 10.0**b


def _tick_label(v):
    if v == 0:
        return "0"
    e = math.log10(abs(v))
    if abs(e - round(e)) < 1e-9 and (e >= 4 or e <= -3):
        return f"1e{int(round(e))}"
    return f"{v:g}"


def _panel(x0, y0, w, h, title, labels, series, log, fixed=None):
    """One chart panel as SVG elements; ``series``: (name, colour, dash, [y or None])."""
    ys = [y for _, _, _, v in series for y in v if y is not None and math.isfinite(y) and (y > 0 or not log)]
    el = [f'<text x="{x0}" y="{y0 - 8}" font-size="14" font-weight="bold">{escape(title)}</text>']
    if fixed:
        lo, hi = fixed
        ticks = [lo + (hi - lo) * k / 4 for k in range(5)]
    elif not ys:
        el.append(f'<text x="{x0 + 10}" y="{y0 + 20}" font-size="12">no positive values to draw</text>')
        return el
    elif log:
        ticks, lo, hi = _ticks_log(min(ys), max(ys))
        if lo == hi:
            lo, hi = lo / 10, hi * 10
            ticks = [lo, lo * 10, hi]
    else:
        lo, hi = min(ys), max(ys)
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        ticks = [lo + (hi - lo) * k / 4 for k in range(5)]
    tr = (lambda v: math.log10(v)) if log else (lambda v: v)
    n = max(len(labels), 2)

    def px(i):
        return x0 + w * i / (n - 1)

    def py(v):
        return y0 + h - h * (tr(v) - tr(lo)) / (tr(hi) - tr(lo))

    el.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#888"/>')
    for t in ticks:
        y = py(t)
        el.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        el.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{_tick_label(t)}</text>')
    every = max(1, math.ceil(len(labels) / 30))
    for i, lab in enumerate(labels):
        if i % every == 0:
            x = px(i)
            el.append(f'<text transform="translate({x:.1f},{y0 + h + 10}) rotate(60)" font-size="10">{escape(lab)}</text>')
    for name, col, dash, vals in series:
        pts = [(px(i), py(v)) for i, v in enumerate(vals)
               if v is not None and math.isfinite(v) and (v > 0 or not log) and lo <= v <= hi * 1.0000001]
        if not pts:
            continue
        d = " ".join(f"{'M' if k == 0 else 'L'}{x:.1f},{y:.1f}" for k, (x, y) in enumerate(pts))
        da = f' stroke-dasharray="{dash}"' if dash else ""
        el.append(f'<path d="{d}" fill="none" stroke="{col}" stroke-width="2"{da}><title>{escape(name)}</title></path>')
    return el


def render_svg(doc: dict) -> str:
    """A static SVG of a report document's per-layer std, signal, correlation and gradient std."""
    runs = doc["runs"]
    labels = [l["name"] for l in runs[0]["layers"]] if runs else []
    panels = [("std", "activation std (log)", True, None),
              ("signal", "signal: mean per-unit std across inputs (log)", True, None),
              ("correlation", "mean cosine similarity between inputs", False, (-1.0, 1.0))]
    if any(l.get("grad_std") is not None for r in runs for l in r["layers"]):
        panels.append(("grad_std", "gradient std, std(dL/dh) (log)", True, None))
    w, h, left, top, gap, legend_w = 760, 220, 70, 50, 150, 260
    width = left + w + 30 + legend_w
    height = top + len(panels) * (h + gap) + 20
    el = [f'<text x="{left}" y="24" font-size="16" font-weight="bold">{escape(doc.get("title", ""))}</text>']
    for k, (key, title, log, fixed) in enumerate(panels):
        series = []
        for j, r in enumerate(runs):
            ix = {l["name"]: l for l in r["layers"]}
            series.append((r["name"], PALETTE[j % len(PALETTE)], None,
                           [ix.get(n, {}).get(key) for n in labels]))
        el += _panel(left, top + k * (h + gap), w, h, title, labels, series, log, fixed)
    lx = left + w + 30
    el.append(f'<rect x="{lx - 8}" y="{top - 4}" width="{legend_w - 10}" height="{18 * len(runs) + 12}" fill="white" stroke="#888"/>')
    for j, r in enumerate(runs):
        y = top + 10 + 18 * j
        col = PALETTE[j % len(PALETTE)]
        el.append(f'<line x1="{lx}" x2="{lx + 24}" y1="{y}" y2="{y}" stroke="{col}" stroke-width="2"/>')
        el.append(f'<text x="{lx + 30}" y="{y + 4}" font-size="12">{escape(r["name"])}</text>')
    body = "\n".join(el)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n')
