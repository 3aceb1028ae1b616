#!/usr/bin/env python3
"""Probe parity: `nninit probe --json --rng torch` against the same experiment in PyTorch.

    python3 scripts/compare_torch_probe.py [--nninit PATH] [--seed 0] [--batch 1000]
                                           [--arch 784,256,128,10] [--activation relu]
                                           [--init pytorch-default --init kaiming_uniform ...]
                                           [--no-venv]

Creates ./.venv (gitignored) with `pip install torch numpy` from PyPI unless --no-venv (then
the running interpreter must have torch and numpy), and re-runs itself inside it.

PyTorch side, per init (exactly what a PyTorch user writes):

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), ...)   # default init, layer by layer
    model.apply(init_fn)        # per Linear: scheme on weight, zeros_ on bias (not for pytorch-default)
    h = x; for layer in model: h = layer(h); record h.double().std(unbiased=False)

x = the first `batch` images of the embedded MNIST subset
(crates/nninit-diag/data/mnist-t10k-first2000-images-idx3-ubyte.gz, read with gzip/struct),
as float32 x/255, shape (batch, 784). The nninit side is `nninit probe --json --rng torch
--flavor F` with F = avx2 when torch reports an AVX2/AVX512 CPU capability, else default.
Per-layer activation std must agree to 1e-6 relative (the forward passes use different
matmul kernels, so the activations themselves agree only to float32 rounding; the initial
weights are bit-identical). Prints a table; exits 1 on any mismatch.

Not part of `cargo test`.
"""
import argparse
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
IMAGES = os.path.join(ROOT, "crates", "nninit-diag", "data", "mnist-t10k-first2000-images-idx3-ubyte.gz")
DEFAULT_INITS = ["pytorch-default", "xavier_uniform", "kaiming_uniform", "kaiming_normal", "normal:0.02", "zeros"]
REL_TOL = 1e-6


def ensure_venv(argv):
    """Re-exec inside ./.venv (created with torch + numpy from PyPI) unless already there."""
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(py):
        print(f"creating {VENV} and installing torch, numpy from PyPI (large download) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([py, "-m", "pip", "install", "torch", "numpy"], check=True)
    os.execv(py, [py, os.path.abspath(__file__)] + argv)


def load_images(n):
    with gzip.open(IMAGES, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise SystemExit(f"{IMAGES}: bad IDX magic {magic}")
        if n > count:
            raise SystemExit(f"--batch {n} > {count} images in the embedded subset")
        raw = f.read(n * rows * cols)
    import numpy as np
    return (np.frombuffer(raw, dtype=np.uint8).reshape(n, rows * cols).astype(np.float32) / np.float32(255.0))


def torch_activation(name):
    import torch.nn as nn
    name, _, param = name.partition(":")
    table = {
        "relu": lambda: nn.ReLU(), "tanh": lambda: nn.Tanh(), "sigmoid": lambda: nn.Sigmoid(),
        "identity": lambda: nn.Identity(), "gelu": lambda: nn.GELU(), "gelu_tanh": lambda: nn.GELU("tanh"),
        "silu": lambda: nn.SiLU(), "mish": lambda: nn.Mish(), "selu": lambda: nn.SELU(),
        "softplus": lambda: nn.Softplus(),
        "leaky_relu": lambda: nn.LeakyReLU(float(param) if param else 0.01),
        "elu": lambda: nn.ELU(float(param) if param else 1.0),
    }
    if name not in table:
        raise SystemExit(f"activation {name!r} not supported by this script")
    return table[name]()


def torch_weight_init(spec):
    """nninit init string -> function on a weight tensor (PyTorch's defaults where nninit's are)."""
    import torch.nn as nn
    name, _, args = spec.partition(":")
    vals = [a for a in args.split(",") if a] if args else []
    kw = dict(a.split("=", 1) for a in vals if "=" in a)
    pos = [a for a in vals if "=" not in a]
    num = lambda k, i, d: float(kw.get(k, pos[i] if len(pos) > i else d))
    if name == "xavier_uniform":
        return lambda w: nn.init.xavier_uniform_(w, gain=num("gain", 0, 1.0))
    if name == "xavier_normal":
        return lambda w: nn.init.xavier_normal_(w, gain=num("gain", 0, 1.0))
    if name in ("kaiming_uniform", "kaiming_normal"):
        f = nn.init.kaiming_uniform_ if name == "kaiming_uniform" else nn.init.kaiming_normal_
        a = num("a", 0, 0)
        mode = kw.get("mode", pos[1] if len(pos) > 1 else "fan_in")
        nl = kw.get("nonlinearity", pos[2] if len(pos) > 2 else "leaky_relu")
        return lambda w: f(w, a=a if a != 0 else 0, mode=mode, nonlinearity=nl)
    if name == "normal":
        if "std" in kw or "mean" in kw or len(pos) > 1:
            mean, std = num("mean", 0, 0.0), num("std", 1, 1.0)
        else:
            mean, std = 0.0, num("std", 0, 1.0)
        return lambda w: nn.init.normal_(w, mean, std)
    if name == "uniform":
        return lambda w: nn.init.uniform_(w, num("a", 0, 0.0), num("b", 1, 1.0))
    if name == "trunc_normal":
        return lambda w: nn.init.trunc_normal_(w, num("mean", 99, 0.0) if "mean" in kw else 0.0,
                                               num("std", 0, 1.0))
    if name == "orthogonal":
        return lambda w: nn.init.orthogonal_(w, gain=num("gain", 0, 1.0))
    if name == "zeros":
        return nn.init.zeros_
    if name == "ones":
        return nn.init.ones_
    raise SystemExit(f"init {spec!r} has no PyTorch mapping in this script")


def torch_probe(widths, activation, seed, x, init):
    import numpy as np
    import torch
    import torch.nn as nn
    torch.manual_seed(seed)
    mods = []
    for i in range(len(widths) - 1):
        mods.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            mods.append(torch_activation(activation))
    model = nn.Sequential(*mods)
    if init not in ("pytorch-default", "torch-default", "default"):
        winit = torch_weight_init(init)

        def init_fn(m):
            if isinstance(m, nn.Linear):
                winit(m.weight)
                nn.init.zeros_(m.bias)
        model.apply(init_fn)
    stds = []
    with torch.no_grad():
        h = torch.from_numpy(x)
        for layer in model:
            h = layer(h)
            stds.append(float(np.asarray(h.double().numpy()).std()))
    return stds


def main():
    argv = sys.argv[1:]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nninit", help="path of the nninit binary (default: target/release or target/debug)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--arch", default="784,256,128,10")
    ap.add_argument("--activation", default="relu")
    ap.add_argument("--init", action="append", dest="inits")
    ap.add_argument("--no-venv", action="store_true")
    a = ap.parse_args(argv)
    if not a.no_venv:
        ensure_venv(argv)
    import torch
    inits = a.inits or DEFAULT_INITS
    cap = torch.backends.cpu.get_cpu_capability()
    flavor = "avx2" if cap in ("AVX2", "AVX512") else "default"
    exe = a.nninit
    if exe is None:
        for c in ("release", "debug"):
            p = os.path.join(ROOT, "target", c, "nninit")
            if os.path.exists(p):
                exe = p
                break
    cmd = ([exe] if exe else [shutil.which("cargo") or "cargo", "run", "-q", "-p", "nninit-cli", "--"])
    cmd += ["probe", "--json", "--rng", "torch", "--flavor", flavor, "--seed", str(a.seed),
            "--batch", str(a.batch), "--arch", a.arch, "--activation", a.activation]
    for i in inits:
        cmd += ["--init", i]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"nninit failed: {' '.join(cmd)}")
    rep = json.loads(out.stdout)
    widths = [int(w) for w in a.arch.split(",")]
    x = load_images(a.batch)
    print(f"torch {torch.__version__}, CPU capability {cap} -> --flavor {flavor}; seed {a.seed}, "
          f"batch {a.batch}, arch {a.arch}, activation {a.activation}; nninit rng: {rep['rng']}")
    print(f"{'init':<18} {'layer':<10} {'nninit std':>14} {'torch std':>14} {'rel diff':>10}")
    worst, bad = 0.0, 0
    for k, init in enumerate(inits):
        t = torch_probe(widths, a.activation, a.seed, x, init)
        layers = rep["inits"][k]["layers"]
        if len(layers) != len(t):
            raise SystemExit(f"{init}: {len(layers)} nninit layers vs {len(t)} torch layers")
        for L, ts in zip(layers, t):
            ns = L["std"]
            rel = 0.0 if ns == ts else abs(ns - ts) / max(abs(ts), 1e-300)
            worst = max(worst, rel)
            flag = "" if rel <= REL_TOL else "  MISMATCH"
            bad += rel > REL_TOL
            print(f"{init:<18} {L['label']:<10} {ns:>14.8g} {ts:>14.8g} {rel:>10.2e}{flag}")
    # Linear(256,128) default weight std (nninit's linear_default check, same seed)
    torch.manual_seed(a.seed)
    w = torch.nn.Linear(256, 128).weight.detach().double().numpy()
    ld = rep["linear_default"]["measured_std"]
    rel = abs(ld - float(w.std())) / float(w.std())
    worst = max(worst, rel)
    bad += rel > REL_TOL
    print(f"{'linear_default':<18} {'weight':<10} {ld:>14.8g} {float(w.std()):>14.8g} {rel:>10.2e}"
          + ("" if rel <= REL_TOL else "  MISMATCH"))
    print(f"\nworst relative difference {worst:.3e} (tolerance {REL_TOL:g}); {bad} mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
