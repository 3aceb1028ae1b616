"""Overhead of nninit.torch.watch during training: a small nanoGPT-style GPT (from
scripts/probe_examples.py) trained on random tokens with AdamW on the CPU, the same steps
timed without watch and with watch(every=N), interleaved in rounds so that machine noise
hits both alike. Prints the median step time of each and their ratio; and, robust to a noisy
machine, the cost of one watched step measured inside the watched runs (median watched step
minus median unwatched step of the same runs) as a fraction of N unwatched steps.

Usage: python scripts/bench_watch.py [--steps 300] [--every 100] [--rounds 3] [--threads 2]
"""

import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from probe_examples import GPT  # noqa: E402

import nninit.torch as nt  # noqa: E402


def run(steps, every, watched, seed=0, **gpt):
    torch.manual_seed(seed)
    model = GPT(**gpt)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    w = nt.watch(model, optimizer=opt, every=every) if watched else None
    g = torch.Generator().manual_seed(seed)
    times = []
    for s in range(steps):
        idx = torch.randint(0, 256, (8, 65), generator=g)
        t0 = time.perf_counter()
        logits = model(idx[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 256), idx[:, 1:].reshape(-1))
        loss.backward()
        if w is not None:
            w.loss(loss)
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
    if w is not None:
        w.close()
    # step 0 (first use of every buffer) is left out of the per-step comparison
    watched_steps = [t for s, t in enumerate(times) if s > 0 and watched and s % every == 0]
    plain_steps = [t for s, t in enumerate(times) if s > 0 and not (watched and s % every == 0)]
    return sum(times), (len(w.records) if w is not None else 0), watched_steps, plain_steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layers", type=int, default=4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    gpt = dict(layers=a.layers, d=128, heads=4, ctx=64)
    run(20, a.every, True, **gpt)  # warm-up
    base, watched, w_steps, p_steps = [], [], [], []
    for _ in range(a.rounds):
        base.append(run(a.steps, a.every, False, **gpt)[0] / a.steps)
        t, n, ws, ps = run(a.steps, a.every, True, **gpt)
        watched.append(t / a.steps)
        w_steps += ws
        p_steps += ps
    b, w = statistics.median(base), statistics.median(watched)
    print(f"GPT {a.layers} blocks d=128, batch 8x64 tokens, AdamW, {a.steps} steps x {a.rounds} rounds, "
          f"{a.threads} threads, torch {torch.__version__}")
    print(f"step time without watch: {1e3 * b:.2f} ms (median of rounds: {', '.join(f'{1e3 * x:.2f}' for x in base)})")
    print(f"step time with watch(every={a.every}): {1e3 * w:.2f} ms ({n} records per run; rounds: "
          f"{', '.join(f'{1e3 * x:.2f}' for x in watched)})")
    print(f"overhead: {100 * (w / b - 1):+.1f}% of step time")
    mw, mp = statistics.median(w_steps), statistics.median(p_steps)
    print(f"inside the watched runs: a watched step {1e3 * mw:.1f} ms (median of {len(w_steps)}), an "
          f"unwatched one {1e3 * mp:.2f} ms (median of {len(p_steps)}): one watched step per {a.every} "
          f"costs {100 * (mw - mp) / (a.every * mp):.1f}% of step time")


if __name__ == "__main__":
    main()
