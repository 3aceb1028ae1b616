#!/usr/bin/env python3
"""Coefficients of nninit's table inverse normal CDF (crates/nninit/src/fill/math.rs,
`NDTRI_OCTAVES`): for each octave p in [2^-k, 2^-(k-1)), k = 2..17, a degree-7 polynomial in
t = m - 1.5 (p = 2^-k * m, m in [1, 2)) approximating G(p) = Phi^-1(p) / (2p - 1), so that
Phi^-1(p) = (2p - 1) * G(p). Least squares on 48 Chebyshev nodes (near-minimax), reference
values from mpmath's erfinv at 30 digits; prints the Rust table (rows: coefficient of t^j,
columns: octave index = biased f32 exponent of p & 15) and the worst relative error of the
f32-rounded polynomial on a 400-point grid per octave.

Run: python3 -m venv .venv && .venv/bin/pip install numpy mpmath && .venv/bin/python scripts/fit_ndtri_octaves.py
"""
import numpy as np
import mpmath as mp

mp.mp.dps = 30
DEG = 7
NODES = 48


def g(p):
    p = mp.mpf(p)
    return float(mp.sqrt(2) * mp.erfinv(2 * p - 1) / (2 * p - 1))


def main():
    table = np.zeros((DEG + 1, 16))
    worst = 0.0
    for k in range(2, 18):
        lo = 2.0 ** -k
        idx = (127 - k) & 15
        j = np.arange(NODES)
        tn = 0.5 * np.cos((2 * j + 1) * np.pi / (2 * NODES))
        gv = np.array([g(lo * (t + 1.5)) for t in tn])
        c = np.polynomial.polynomial.polyfit(tn, gv, DEG).astype(np.float32)
        table[:, idx] = c
        te = np.linspace(-0.5, 0.5, 400, endpoint=False)
        ge = np.array([g(lo * (t + 1.5)) for t in te])
        err = np.max(np.abs(np.polynomial.polynomial.polyval(te, c.astype(np.float64)) - ge) / ge)
        worst = max(worst, err)
    print(f"// worst relative error of the f32 coefficients: {worst:.3e}")
    print(f"pub(crate) const NDTRI_OCTAVES: [[f32; 16]; {DEG + 1}] = [")
    for row in table:
        print("    [" + ", ".join(repr(float(np.float32(x))) for x in row) + "],")
    print("];")


if __name__ == "__main__":
    main()
