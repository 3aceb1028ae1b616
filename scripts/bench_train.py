#!/usr/bin/env python3
"""Times one training epoch of the 784-256-128-10 ReLU MLP on the full MNIST training set
(60,000 images, batch 64, SGD lr 0.01 momentum 0.9, kaiming_uniform weights, zero biases,
pixels scaled to [0, 1], or standardised with --standardize) in `nninit train` and in PyTorch (CPU), in the same run, and prints a
Markdown table for BENCHMARKS.md.

Timed: the epoch's training steps only (shuffle, batch gather, forward, backward, update);
not data loading, not evaluation. nninit reports this as `train_seconds` in `--json`;
PyTorch is timed around the same loop with time.perf_counter(). Each side runs --repeats
times (alternating); the table gives the median and the min..max range. The test accuracy
after the epoch is printed for both.

Usage:
    python3 scripts/bench_train.py [--mnist DIR] [--repeats 3] [--bin target/release/nninit] [--standardize]

Python: if torch is not importable, the script creates ./.venv (gitignored), installs torch and
numpy from PyPI into it (a large download) and re-runs itself with that interpreter.
"""
import argparse
import gzip
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure_torch():
    try:
        import torch  # noqa: F401
        return
    except ImportError:
        pass
    venv = os.path.join(ROOT, ".venv")
    py = os.path.join(venv, "bin", "python")
    if os.path.abspath(sys.executable) == os.path.abspath(py):
        sys.exit("error: torch is still not importable in .venv; run: .venv/bin/pip install torch numpy")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    subprocess.check_call([py, "-m", "pip", "install", "--progress-bar", "off", "torch", "numpy"])
    os.execv(py, [py] + sys.argv)


def read_idx(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    import numpy as np
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(d, stem):
    for name in (stem, stem + ".gz"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    sys.exit(f"error: {stem}[.gz] not found in {d}")


def torch_epoch(xtr, ytr, xte, yte, seed, lr, momentum, batch):
    import torch
    from torch import nn
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_uniform_(m.weight)  # a=0, fan_in, leaky_relu gain sqrt(2)
            nn.init.zeros_(m.bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()
    n = xtr.shape[0]
    t0 = time.perf_counter()
    perm = torch.randperm(n)
    for i in range(0, n, batch):
        idx = perm[i:i + batch]
        xb, yb = xtr[idx], ytr[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    secs = time.perf_counter() - t0
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    return secs, acc


def nninit_epoch(binary, mnist, seed, lr, momentum, batch, standardize):
    cmd = [binary, "train", "--mnist", mnist, "--init", "kaiming_uniform", "--epochs", "1",
           "--batch", str(batch), "--optim", "sgd", "--lr", str(lr), "--momentum", str(momentum),
           "--seed", str(seed), "--json"] + (["--standardize"] if standardize else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    e = r["inits"][0]["epochs"][0]
    return e["train_seconds"], e["test_acc"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mnist", default=os.path.join(ROOT, "..", "shared", "data", "mnist"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "nninit"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--standardize", action="store_true",
                    help="inputs (x - 0.1307) / 0.3081 on both sides instead of [0, 1]")
    a = ap.parse_args()
    ensure_torch()
    import numpy as np
    import torch
    if not os.path.exists(a.bin):
        print(f"building {a.bin} (cargo build --release -p nninit-cli)", file=sys.stderr)
        subprocess.check_call(["cargo", "build", "--release", "-p", "nninit-cli"], cwd=ROOT)
    mnist = os.path.abspath(a.mnist)
    xtr = torch.from_numpy(read_idx(find(mnist, "train-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32) / 255.0)
    ytr = torch.from_numpy(read_idx(find(mnist, "train-labels-idx1-ubyte")).astype(np.int64))
    xte = torch.from_numpy(read_idx(find(mnist, "t10k-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32) / 255.0)
    yte = torch.from_numpy(read_idx(find(mnist, "t10k-labels-idx1-ubyte")).astype(np.int64))
    if a.standardize:
        xtr, xte = (xtr - 0.1307) / 0.3081, (xte - 0.1307) / 0.3081
    runs = {"nninit": [], "pytorch": []}
    accs = {"nninit": [], "pytorch": []}
    for r in range(a.repeats):
        s, acc = nninit_epoch(a.bin, mnist, a.seed + r, a.lr, a.momentum, a.batch, a.standardize)
        runs["nninit"].append(s)
        accs["nninit"].append(acc)
        s, acc = torch_epoch(xtr, ytr, xte, yte, a.seed + r, a.lr, a.momentum, a.batch)
        runs["pytorch"].append(s)
        accs["pytorch"].append(acc)
        print(f"run {r + 1}: nninit {runs['nninit'][-1]:.2f} s ({accs['nninit'][-1]:.2%}), "
              f"pytorch {runs['pytorch'][-1]:.2f} s ({accs['pytorch'][-1]:.2%})", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in runs.items()}
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs; torch {torch.__version__} "
          f"({torch.get_num_threads()} threads); {a.repeats} runs each, alternating; inputs "
          + ("standardised" if a.standardize else "in [0, 1]"))
    print()
    print("| implementation | epoch seconds, median (min..max) | test accuracy after 1 epoch (runs) |")
    print("|---|---|---|")
    for k in ("nninit", "pytorch"):
        v = runs[k]
        print(f"| {k} | {med[k]:.2f} ({min(v):.2f}..{max(v):.2f}) | "
              + ", ".join(f"{x:.2%}" for x in accs[k]) + " |")
    print()
    print(f"ratio nninit / pytorch (medians): {med['nninit'] / med['pytorch']:.2f}")


if __name__ == "__main__":
    main()
