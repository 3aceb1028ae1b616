#!/usr/bin/env python3
"""Reference timings for BENCHMARKS.md "Fills (issue #4)": the same sizes as `nninit bench`
through PyTorch (CPU) and numpy, median of k runs after a warm-up, buffers first-touched
outside timing, ratios vs memset of the same buffer at the same thread count.

Usage:
    python3 scripts/bench_reference.py [--size 67108864] [--runs 5] [--ortho 4096]
                                       [--nninit-json bench.json]

If torch/numpy are not importable, a .venv (gitignored) is created next to the repository root
and `pip install torch numpy` is run from PyPI (large download), then the script re-executes
itself with that interpreter. With --nninit-json (the output of `nninit bench --json`) it also
prints nninit's time relative to PyTorch's for each case.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ensure_deps():
    try:
        import numpy  # noqa: F401
        import torch  # noqa: F401
        return
    except ImportError:
        pass
    venv = ROOT / ".venv"
    py = venv / "bin" / "python"
    if Path(sys.executable).resolve() == py.resolve():
        sys.exit("error: torch/numpy still missing inside .venv; run .venv/bin/pip install torch numpy")
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
    subprocess.check_call([str(py), "-m", "pip", "install", "-q", "torch", "numpy"])
    os.execv(str(py), [str(py)] + sys.argv)


def median_time(runs, f):
    f()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64 << 20)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ortho", type=int, default=4096)
    ap.add_argument("--ortho-runs", type=int, default=3)
    ap.add_argument("--nninit-json")
    a = ap.parse_args()
    ensure_deps()
    import numpy as np
    import torch

    n = a.size
    cols = min(1024, n)
    rows_ = n // cols
    used = rows_ * cols
    all_threads = os.cpu_count() or 1
    print(f"torch {torch.__version__}, numpy {np.__version__}, {used} f32, median of {a.runs}")
    print(f"{'lib':<6} {'op':<16} {'threads':>7} {'ms':>10} {'GB/s':>8} {'vs memset':>10}")
    results = {}
    for threads in sorted({1, all_threads}):
        torch.set_num_threads(threads)
        w = torch.empty(rows_, cols, dtype=torch.float32)
        w.fill_(1.0)  # first touch
        t_mem = median_time(a.runs, lambda: w.zero_())
        cases = [
            ("memset", lambda: w.zero_()),
            ("uniform", lambda: w.uniform_(-1, 1)),
            ("normal", lambda: w.normal_(0, 1)),
            ("trunc_normal", lambda: torch.nn.init.trunc_normal_(w, 0, 1, -2, 2)),
            ("kaiming_uniform", lambda: torch.nn.init.kaiming_uniform_(w)),
        ]
        for name, f in cases:
            t = t_mem if name == "memset" else median_time(a.runs, f)
            results[("torch", name, threads)] = t
            print(f"{'torch':<6} {name:<16} {threads:>7} {t*1e3:>10.2f} {used*4/t/1e9:>8.2f} {t_mem/t*100:>9.0f}%")
        del w
        if threads == 1:  # numpy is single-threaded
            x = np.ones(used, dtype=np.float32)
            rng = np.random.default_rng(0)
            t_mem = median_time(a.runs, lambda: x.fill(0.0))
            for name, f in [
                ("memset", lambda: x.fill(0.0)),
                ("uniform", lambda: rng.random(dtype=np.float32, out=x)),
                ("normal", lambda: rng.standard_normal(dtype=np.float32, out=x)),
            ]:
                t = t_mem if name == "memset" else median_time(a.runs, f)
                results[("numpy", name, 1)] = t
                print(f"{'numpy':<6} {name:<16} {1:>7} {t*1e3:>10.2f} {used*4/t/1e9:>8.2f} {t_mem/t*100:>9.0f}%")
            del x
    t_ortho = None
    if a.ortho > 0:
        torch.set_num_threads(all_threads)
        q = torch.empty(a.ortho, a.ortho)
        t_ortho = median_time(a.ortho_runs, lambda: torch.nn.init.orthogonal_(q))
        print(f"torch orthogonal {a.ortho}x{a.ortho} ({all_threads} threads): {t_ortho:.3f} s")
    if a.nninit_json:
        rep = json.loads(Path(a.nninit_json).read_text())
        print("\nnninit vs PyTorch (time ratio t_torch / t_nninit; > 1 = nninit faster)")
        for r in rep["rows"]:
            key = ("torch", r["name"], r["threads"])
            if key in results:
                print(f"  {r['name']:<16} {r['threads']:>2} threads: {results[key]/r['seconds']:.2f}x")
        if t_ortho and rep.get("orthogonal"):
            o = rep["orthogonal"]["seconds"]
            print(f"  orthogonal {a.ortho}: nninit {o:.3f} s = {o/t_ortho:.2f}x PyTorch's time")


if __name__ == "__main__":
    main()
