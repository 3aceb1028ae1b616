#!/usr/bin/env python3
"""Recomputes the numbers stated in docs/theory.md, independently of the Rust code.

    python3 scripts/theory_check.py             # closed forms, quadrature, mean field, Philox (mpmath)
    python3 scripts/theory_check.py --simulate  # also the finite-width experiments of §2.6 (numpy)

Needs mpmath (pip install mpmath); --simulate and the Gauss-Hermite check also need numpy.
Expectations are 1-D Gaussian integrals done with mpmath.quad at 30 digits, split at the
activation's kink (0), so they do not share code or method with nninit-diag's quadrature.
"""
import math
import sys

import mpmath as mp

mp.mp.dps = 30
SQ2 = mp.sqrt(2)


def npdf(z):
    return mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)


def ncdf(z):
    return mp.ncdf(z)


def E(f, q=1):
    """E[f(sqrt(q) z)], z ~ N(0,1); split at 0 (every kink here is at 0)."""
    s = mp.sqrt(q)
    g = lambda z: f(s * z) * npdf(z)
    return mp.quad(g, [-mp.inf, -8, 0, 8, mp.inf])


SELU_A = mp.mpf("1.6732632423543772848170429916717")
SELU_L = mp.mpf("1.0507009873554804934193349852946")


def sig(x):
    return 1 / (1 + mp.exp(-x))


def softplus(x):
    return mp.log1p(mp.exp(x)) if x < 30 else x + mp.log1p(mp.exp(-x))


ACTS = {
    # name: (phi, phi')
    "linear": (lambda x: x, lambda x: 1),
    "relu": (lambda x: max(x, 0), lambda x: 1 if x > 0 else 0),
    "leaky_relu(0.01)": (lambda x: x if x > 0 else mp.mpf("0.01") * x, lambda x: 1 if x > 0 else mp.mpf("0.01")),
    "leaky_relu(0.2)": (lambda x: x if x > 0 else mp.mpf("0.2") * x, lambda x: 1 if x > 0 else mp.mpf("0.2")),
    "tanh": (mp.tanh, lambda x: 1 - mp.tanh(x) ** 2),
    "sigmoid": (sig, lambda x: sig(x) * (1 - sig(x))),
    "gelu": (lambda x: x * ncdf(x), lambda x: ncdf(x) + x * npdf(x)),
    "gelu_tanh": (
        lambda x: x / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3))),
        lambda x: mp.diff(lambda t: t / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (t + mp.mpf("0.044715") * t**3))), x),
    ),
    "silu": (lambda x: x * sig(x), lambda x: sig(x) * (1 + x * (1 - sig(x)))),
    "mish": (lambda x: x * mp.tanh(softplus(x)), lambda x: mp.diff(lambda t: t * mp.tanh(softplus(t)), x)),
    "elu(1)": (lambda x: x if x > 0 else mp.expm1(x), lambda x: 1 if x > 0 else mp.exp(x)),
    "selu": (
        lambda x: SELU_L * (x if x > 0 else SELU_A * mp.expm1(x)),
        lambda x: SELU_L * (1 if x > 0 else SELU_A * mp.exp(x)),
    ),
    "softplus": (softplus, sig),
}
TORCH_GAIN = {"linear": 1, "relu": math.sqrt(2), "leaky_relu(0.01)": math.sqrt(2 / 1.0001),
              "leaky_relu(0.2)": math.sqrt(2 / 1.04), "tanh": 5 / 3, "sigmoid": 1, "selu": 0.75}


def section(t):
    print(f"\n== {t}")


def trunc_std(c):
    c = mp.mpf(c)
    mass = 2 * ncdf(c) - 1
    return mp.sqrt(1 - 2 * c * npdf(c) / mass), mass


def sec1():
    section("§1.3 uniform: std of U(-1,1)")
    print("1/sqrt(3) =", mp.nstr(1 / mp.sqrt(3), 16))
    section("§1.4 std of N(0,1) truncated to [-c, c]")
    for c in ["1", "1.5", "2", "2.5", "3"]:
        s, m = trunc_std(c)
        print(f"c = {c}: std {mp.nstr(s, 17)}  mass inside {mp.nstr(m, 16)}  1/std {mp.nstr(1 / s, 17)}")
    s2, _ = trunc_std(2)
    print("0.02 truncated at +-2 sigma, uncorrected: realised std", mp.nstr(0.02 * s2, 6))
    section("§1.4 PyTorch default Linear: kaiming_uniform(a=sqrt 5)")
    g = mp.sqrt(2 / (1 + 5))
    print("gain", mp.nstr(g, 12), "= 1/sqrt 3; bound gain*sqrt(3/fan_in) = 1/sqrt(fan_in); std 1/sqrt(3 fan_in)")
    print("fan_in 256: std", mp.nstr(1 / mp.sqrt(3 * 256), 6), " often quoted sqrt(2/256) =", mp.nstr(mp.sqrt(2 / mp.mpf(256)), 6))


def moments(name, q=1):
    f, d = ACTS[name]
    return E(lambda x: f(x) ** 2, q), E(f, q), E(lambda x: d(x) ** 2, q)


def chi_q(name, w2, q):
    # dV/dq = w2 * E[z phi(sqrt q z) phi'(sqrt q z)] / sqrt q   (Stein's lemma)
    f, d = ACTS[name]
    s = mp.sqrt(q)
    g = lambda z: z * f(s * z) * d(s * z) * npdf(z)
    return w2 * mp.quad(g, [-mp.inf, -8, 0, 8, mp.inf]) / s


def fixed_point(name, w2, b2=0, q=1, tol=mp.mpf(10) ** -20):
    for _ in range(100000):
        nq = w2 * moments(name, q)[0] + b2
        if abs(nq - q) <= tol * q:
            return nq
        q = nq
    return q


def sec2():
    section("§2.1 PyTorch gains and the tanh 5/3 fixed point")
    for k, v in TORCH_GAIN.items():
        print(f"  {k:18s} {v:.16g}")
    for w in [mp.mpf(5) / 3, mp.mpf("1.5925374197"), mp.mpf(2)]:
        qs = fixed_point("tanh", w * w)
        m2, m1, d2 = moments("tanh", qs)
        print(f"tanh sigma_w {mp.nstr(w, 8)}: q* {mp.nstr(qs, 8)}, output std {mp.nstr(mp.sqrt(m2 - m1**2), 6)}, "
              f"chi1 {mp.nstr(w * w * d2, 6)}, chi_q {mp.nstr(chi_q('tanh', w * w, qs), 6)}")
    m2, m1, _ = moments("selu")
    print("selu: E[phi] =", mp.nstr(m1, 3), " E[phi^2] - 1 =", mp.nstr(m2 - 1, 3))

    section("§2.3 table: E[phi^2], g, E[phi'^2], g_bwd, chi1, chi_q (at q=1 with gain g), E[phi]")
    for name in ACTS:
        m2, m1, d2 = moments(name)
        g2 = 1 / m2
        print(f"  {name:17s} {mp.nstr(m2, 11):>13s} {mp.nstr(mp.sqrt(g2), 11):>13s} {mp.nstr(d2, 11):>13s} "
              f"{mp.nstr(1 / mp.sqrt(d2), 7):>9s} {mp.nstr(g2 * d2, 7):>9s} {mp.nstr(chi_q(name, g2, 1), 7):>9s} "
              f"{mp.nstr(m1, 6):>9s}")
    vals = [mp.nstr(moments("gelu", mp.mpf(q))[0] / mp.mpf(q), 4) for q in ["1e-4", "1e-2", "0.1", "1", "100", "1e4"]]
    print("gelu E[phi(sqrt q z)^2]/q at q = 1e-4, 1e-2, 0.1, 1, 100, 1e4:", ", ".join(vals))

    section("§2.2 quadrature: Gauss-Hermite error (needs numpy)")
    try:
        import numpy as np
        from numpy.polynomial.hermite_e import hermegauss
        exact = {n: float(moments(n)[0]) for n in ["tanh", "elu(1)", "selu", "relu", "gelu", "silu", "mish"]}
        fns = {"tanh": lambda x: np.tanh(x) ** 2, "relu": lambda x: np.maximum(x, 0) ** 2,
               "elu(1)": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))) ** 2,
               "selu": lambda x: (1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))) ** 2,
               "gelu": lambda x: (x * 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))) ** 2,
               "silu": lambda x: (x / (1 + np.exp(-x))) ** 2,
               "mish": lambda x: (x * np.tanh(np.log1p(np.exp(x)))) ** 2}
        for n in [16, 32, 64, 100, 200]:
            x, w = hermegauss(n)
            w = w / math.sqrt(2 * math.pi)
            errs = ", ".join(f"{k} {abs(np.dot(w, fns[k](x)) - exact[k]):.1e}" for k in fns)
            print(f"  n = {n}: {errs}")
    except ImportError:
        print("  (numpy not installed: skipped)")

    section("§2.4 tanh critical line (chi1 = 1): sigma_b^2 -> sigma_w^2, sigma_w, q*, chi_q")

    def line(q):
        m2, _, d2 = moments("tanh", q)
        w2 = 1 / d2
        return w2, q - w2 * m2

    print("  sigma_b^2 = 0: sigma_w^2 = 1, q* = 0")
    for b2 in ["1e-4", "1e-3", "0.01", "0.02", "0.05", "0.1", "0.2", "0.3", "0.5", "1", "2"]:
        b2 = mp.mpf(b2)
        qs = mp.findroot(lambda q: line(q)[1] - b2, (mp.mpf("1e-6"), mp.mpf(20)), solver="illinois",
                         tol=mp.mpf(10) ** -40, verify=False)
        w2 = line(qs)[0]
        print(f"  {mp.nstr(b2, 3):>6s}: {mp.nstr(w2, 10)} {mp.nstr(mp.sqrt(w2), 8)} q* {mp.nstr(qs, 10)} "
              f"chi_q {mp.nstr(chi_q('tanh', w2, qs), 5)}")

    section("§2.4 ReLU correlation map (arc-cosine kernel) from c = 0")
    c = mp.mpf(0)
    out = {}
    for l in range(1, 100001):
        th = mp.acos(c) if c < 1 else mp.mpf(0)
        c = (mp.sin(th) + (mp.pi - th) * mp.cos(th)) / mp.pi
        if l in (1, 4, 5, 9, 10, 19, 20, 100, 1000, 100000):
            out[l] = c
    for l, v in out.items():
        print(f"  after {l:6d} layers: c = {mp.nstr(v, 6)}  (1-c) l^2 = {mp.nstr((1 - v) * l * l, 5)}")
    print("  9 pi^2 / 2 =", mp.nstr(9 * mp.pi**2 / 2, 5))

    section("§2.5/§2.7/§7 derived statistics")
    print("relu(sqrt q z): mean 1/sqrt(2 pi) =", mp.nstr(1 / mp.sqrt(2 * mp.pi), 6),
          " std sqrt(1/2 - 1/(2 pi)) =", mp.nstr(mp.sqrt(mp.mpf(1) / 2 - 1 / (2 * mp.pi)), 6), "(times sqrt q)")
    print("  at q = 2 (He, unit input):", mp.nstr(mp.sqrt(2) * mp.sqrt(mp.mpf(1) / 2 - 1 / (2 * mp.pi)), 5))
    a = mp.atanh(mp.mpf("0.97"))
    qs = fixed_point("tanh", mp.mpf(25) / 9)
    for lbl, q in [("gain 5/3 layer 1 (q = 25/9)", mp.mpf(25) / 9), ("gain 5/3 at q*", qs),
                   ("gain 1 layer 1 (q = 1)", 1), ("gain 2.5 layer 1 (q = 6.25)", mp.mpf("6.25"))]:
        print(f"  tanh saturation P(|tanh h| > 0.97), {lbl}: {mp.nstr(100 * 2 * (1 - ncdf(a / mp.sqrt(q))), 4)} %")
    print("  relu E[relu^4] =", mp.nstr(E(lambda x: max(x, 0) ** 4), 6), " -> Var[relu^2]/E[relu^2]^2 =",
          mp.nstr((E(lambda x: max(x, 0) ** 4) - mp.mpf(1) / 4) / (mp.mpf(1) / 4), 6))
    sd = mp.sqrt(20 * 5 / mp.mpf(256))
    print(f"  single-input log-norm sd over 20 layers of width 256: Gaussian {mp.nstr(sd, 4)}, "
          f"orthogonal {mp.nstr(mp.sqrt(20 * 3 / mp.mpf(256)), 4)}; mean log-norm Gaussian "
          f"{mp.nstr(-20 * 2.5 / mp.mpf(256), 4)}, orthogonal {mp.nstr(-20 * 1.5 / mp.mpf(256), 4)}")
    print(f"  log-std sd: depth 20 {mp.nstr(sd / 2, 3)}, a 5-layer window {mp.nstr(mp.sqrt(5 * 5 / mp.mpf(256)) / 2, 3)};"
          f" ln 2 = {mp.nstr(mp.log(2), 4)}")
    # tanh sigma_w = 1, sigma_b = 0: q_l ~ 1/(2l)
    q = mp.mpf(1)
    for l in range(1, 21):
        if l > 1:
            q = moments("tanh", q)[0]
    print("  tanh sigma_w = 1: q_20 =", mp.nstr(q, 5), " std", mp.nstr(mp.sqrt(q), 4), " 1/(2*20) =", 1 / 40)
    # dead-for-batch ReLU fraction with equicorrelated inputs (He, zero bias, B = 1024)
    B = 1024
    c = mp.mpf(0)
    cs = {1: c}
    for l in range(2, 21):
        th = mp.acos(c)
        c = (mp.sin(th) + (mp.pi - th) * mp.cos(th)) / mp.pi
        cs[l] = c
    for l in (5, 10, 15, 20):
        c = cs[l]
        r = mp.sqrt(c / (1 - c))
        p = mp.quad(lambda t: npdf(t) * ncdf(-t * r) ** B, [-mp.inf, 0, mp.inf])
        print(f"  ReLU dead-for-batch, layer {l} (pre-activation correlation {mp.nstr(c, 3)}): {mp.nstr(100 * p, 3)} %")


# ------------------------------------------------------------------ Philox (§8)
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox(ctr, key, rounds=10):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(rounds):
        if r:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0), p1 & MASK, ((p0 >> 32) ^ c3 ^ k1), p0 & MASK
    return [c0, c1, c2, c3]


def sec8():
    section("§8.1 Philox4x32 known-answer vectors (Random123 kat_vectors)")
    kats = [
        (10, [0, 0, 0, 0], [0, 0], "6627e8d5 e169c58d bc57ac4c 9b00dbd8"),
        (10, [MASK] * 4, [MASK] * 2, "408f276d 41c83b0e a20bc7c6 6d5451fd"),
        (10, [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
         "d16cfe09 94fdcceb 5001e420 24126ea1"),
        (7, [0, 0, 0, 0], [0, 0], "5f6fb709 0d893f64 4f121f81 4f730a48"),
        (7, [MASK] * 4, [MASK] * 2, "5207ddc2 45165e59 4d8ee751 8c52f662"),
        (7, [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
         "4dfccaba 190a87f0 c47362ba b6b5242a"),
    ]
    for r, c, k, want in kats:
        got = " ".join(f"{w:08x}" for w in philox(c, k, r))
        print(f"  philox4x32-{r}: {got}  {'ok' if got == want else 'MISMATCH, want ' + want}")

    section("§8.4 shard-invariant layout: seed 1234, stream 7, elements 0..7")
    seed, stream = 1234, 7
    key = [seed & MASK, seed >> 32]

    def block(b):
        return philox([b & MASK, b >> 32, stream & MASK, stream >> 32], key)

    words = [block(i >> 2)[i & 3] for i in range(8)]
    print("  words  ", " ".join(f"{w:08x}" for w in words))
    print("  f32 uniform (w >> 8) * 2^-24:", ", ".join(repr((w >> 8) / 2**24) for w in words))
    z = []
    for i in range(8):
        w = block(i >> 2)
        k = (i >> 1) & 1
        u1 = ((w[2 * k] >> 8) + 1) / 2**24
        u2 = (w[2 * k + 1] >> 8) / 2**24
        rho = math.sqrt(-2 * math.log(u1))
        z.append(rho * (math.cos if i % 2 == 0 else math.sin)(2 * math.pi * u2))
    print("  Box-Muller (f64, 12 decimals):", ", ".join(f"{v:.12f}" for v in z))
    print("  largest |z| from 24-bit u1: sqrt(2*24 ln 2) =", f"{math.sqrt(48 * math.log(2)):.4f}",
          f"; P(|Z| > that) = {float(2 * (1 - ncdf(mp.sqrt(48 * mp.log(2))))):.2g}")


# ------------------------------------------------------------------ simulation (§2.6)
def simulate():
    import numpy as np
    section("§2.6 finite width: width 256, depth 20, zero bias, x ~ N(0, I)")
    n, depth = 256, 20
    rng = np.random.default_rng(20240)

    def haar(n):
        q, r = np.linalg.qr(rng.standard_normal((n, n)))
        return q * np.sign(np.diag(r))

    # (a) batch of 1024 inputs, 10 networks: pooled pre-activation std at layer 20 vs prediction
    for act, w, pred in [("relu", math.sqrt(2), math.sqrt(2)), ("tanh", 5 / 3, None)]:
        if pred is None:
            pred = math.sqrt(float(fixed_point("tanh", mp.mpf(25) / 9)))
        ratios = []
        for _ in range(10):
            x = rng.standard_normal((1024, n))
            for l in range(depth):
                h = x @ (rng.standard_normal((n, n)) * (w / math.sqrt(n)))
                x = np.maximum(h, 0) if act == "relu" else np.tanh(h)
            ratios.append(h.std() / pred)
        ratios = np.array(ratios)
        print(f"  {act} gain {w:.4f}: pre-activation std at L20 / prediction {pred:.4f}: mean {ratios.mean():.3f}, "
              f"sd over 10 nets {ratios.std(ddof=1):.3f}, range {ratios.min():.3f}..{ratios.max():.3f}")
    # (b) single input, many networks: log of q_20 / q_pred for ReLU He, Gaussian vs orthogonal
    nets = 400
    for kind in ["gaussian", "orthogonal"]:
        logs = []
        for _ in range(nets):
            x = rng.standard_normal(n)
            q0 = np.mean(x * x)
            for l in range(depth):
                W = rng.standard_normal((n, n)) / math.sqrt(n) if kind == "gaussian" else haar(n)
                h = math.sqrt(2) * (W @ x)
                x = np.maximum(h, 0)
            logs.append(math.log(np.mean(h * h) / (2 * q0)))
        logs = np.array(logs)
        print(f"  ReLU He {kind}, single input, {nets} nets: log(q20/q_pred) mean {logs.mean():.3f}, sd {logs.std(ddof=1):.3f}")


if __name__ == "__main__":
    sec1()
    sec2()
    sec8()
    if "--simulate" in sys.argv:
        simulate()
