#!/usr/bin/env python3
"""Benchmark for issue #13: initialise a ~1.1B-parameter Llama-style model on CPU.

    nninit.torch.init_module(model, rules, seed=0)
vs  model.apply(init_fn)      # PyTorch's own torch.nn.init.normal_ / trunc_normal_, as torchtitan does

Each measurement runs in a fresh process (so its peak RSS is its own): build the model on the
meta device, ``to_empty(device="cpu")`` (memory allocated, not yet touched), then time the init
alone. Peak RSS is ``ru_maxrss`` at the end minus the RSS before ``to_empty``; "model" is the sum
of the parameters' bytes. Threads: ``torch.set_num_threads(T)`` and nninit's ``threads=T``.

The shapes are TinyLlama-1.1B's (dim 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab
32000; 1,100,048,384 parameters) with torchtitan's parameter names. The laws:

    normal   every matrix N(0, 0.02^2); norms ones
    trunc    torchtitan Llama-3: embeddings N(0, 1); wq/wk/wv/w1 trunc_normal(std 0.02, a=-2, b=2);
             wo/w2/w3 trunc_normal(std 0.02/sqrt(2*(layer+1))); output trunc_normal(std dim^-1/2,
             +-3 std); norms ones

Usage (the numbers in BENCHMARKS.md come from the last line):
    python scripts/bench_init_module.py one MODE DTYPE LAW [--threads T]     # one measurement (JSON)
    python scripts/bench_init_module.py fsdp MODE [--world 4]                 # 4-rank FSDP2 (gloo)
    python scripts/bench_init_module.py all [--repeat 2] [--small]            # everything, a table
MODE is torch or nninit; DTYPE f32 or bf16; LAW normal or trunc. --small uses 2 layers (a quick check).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn

DIM, LAYERS, HEADS, KV_HEADS, FFN, VOCAB = 2048, 22, 32, 4, 5632, 32000


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        hd = DIM // HEADS
        self.wq = nn.Linear(DIM, HEADS * hd, bias=False)
        self.wk = nn.Linear(DIM, KV_HEADS * hd, bias=False)
        self.wv = nn.Linear(DIM, KV_HEADS * hd, bias=False)
        self.wo = nn.Linear(HEADS * hd, DIM, bias=False)


class FeedForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = nn.Linear(DIM, FFN, bias=False)
        self.w2 = nn.Linear(FFN, DIM, bias=False)
        self.w3 = nn.Linear(DIM, FFN, bias=False)


class Block(nn.Module):
    def __init__(self, layer_id):
        super().__init__()
        self.layer_id = layer_id
        self.attention = Attention()
        self.feed_forward = FeedForward()
        self.attention_norm = RMSNorm(DIM)
        self.ffn_norm = RMSNorm(DIM)


class Llama(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.tok_embeddings = nn.Embedding(VOCAB, DIM)
        self.layers = nn.ModuleList(Block(i) for i in range(layers))
        self.norm = RMSNorm(DIM)
        self.output = nn.Linear(DIM, VOCAB, bias=False)


def build(layers: int, dtype: torch.dtype) -> nn.Module:
    with torch.device("meta"):
        model = Llama(layers).to(dtype)
    return model


# ---- PyTorch's own init, as torchtitan writes it (model.apply / per-module init_weights) ----

def torch_init(model: nn.Module, law: str) -> None:
    init = torch.nn.init

    def fn(m):
        if isinstance(m, RMSNorm):
            init.ones_(m.weight)
        elif law == "normal" and isinstance(m, (nn.Linear, nn.Embedding)):
            init.normal_(m.weight, mean=0.0, std=0.02)
        elif law == "trunc":
            if isinstance(m, nn.Embedding):
                init.normal_(m.weight)
            elif isinstance(m, Block):
                std = 0.02 / math.sqrt(2 * (m.layer_id + 1))
                for lin in (m.attention.wq, m.attention.wk, m.attention.wv, m.feed_forward.w1):
                    init.trunc_normal_(lin.weight, mean=0.0, std=0.02)
                for lin in (m.attention.wo, m.feed_forward.w2, m.feed_forward.w3):
                    init.trunc_normal_(lin.weight, mean=0.0, std=std)
            elif isinstance(m, Llama):
                s = DIM ** -0.5
                init.trunc_normal_(m.output.weight, mean=0.0, std=s, a=-3 * s, b=3 * s)

    with torch.no_grad():
        model.apply(fn)


# ---- the same laws as nninit rules (first match wins) ----

def nninit_rules(law: str, layers: int) -> list[tuple[str, str]]:
    if law == "normal":
        return [("*norm*.weight", "ones"), ("*", "normal:std=0.02")]
    s = DIM ** -0.5
    rules = [("*norm*.weight", "ones"), ("tok_embeddings.weight", "normal:std=1")]
    for i in range(layers):
        std = 0.02 / math.sqrt(2 * (i + 1))
        for w in ("attention.wo", "feed_forward.w2", "feed_forward.w3"):
            rules.append((f"layers.{i}.{w}.weight", f"trunc_normal:std={std!r}"))
    rules.append(("output.weight", f"trunc_normal:std={s!r},a={-3 * s!r},b={3 * s!r}"))
    rules.append(("*", "trunc_normal:std=0.02"))
    return rules


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one(mode: str, dtype: str, law: str, threads: int, layers: int) -> dict:
    torch.set_num_threads(threads)
    import nninit.torch as nt  # noqa: F401  (imported before the baseline RSS)

    dt = {"f32": torch.float32, "bf16": torch.bfloat16}[dtype]
    model = build(layers, dt)
    params = sum(p.numel() for p in model.parameters())
    model_mib = sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20
    base = rss_mib()
    model.to_empty(device="cpu")
    t0 = time.perf_counter()
    if mode == "torch":
        torch_init(model, law)
    else:
        nt.init_module(model, nninit_rules(law, layers), seed=0, threads=threads)
    sec = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    w = model.layers[0].attention.wq.weight
    return {
        "mode": mode, "dtype": dtype, "law": law, "threads": threads, "params": params,
        "seconds": sec, "model_mib": model_mib, "base_rss_mib": base, "peak_rss_mib": peak,
        "extra_over_model": (peak - base) / model_mib, "wq_std": float(w.float().std()),
    }


def _fsdp_rank(rank, world, store, mode, layers, out):
    os.environ.update(MASTER_ADDR="127.0.0.1")
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    import nninit.torch as nt

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    mesh = init_device_mesh("cpu", (world,))
    model = build(layers, torch.float32)
    for b in model.layers:
        fully_shard(b, mesh=mesh)
    fully_shard(model, mesh=mesh)
    model.to_empty(device="cpu")
    dist.barrier()
    t0 = time.perf_counter()
    if mode == "torch":
        torch_init(model, "trunc")
    else:
        nt.init_module(model, nninit_rules("trunc", layers), seed=0, threads=1)
    dist.barrier()
    sec = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the same full tensor whatever the layout? (a value from rank 0's shard of one weight)
    if rank == 0:
        w = model.layers[0].attention.wq.weight
        with open(out, "w") as f:
            json.dump({"mode": mode, "world": world, "seconds": sec, "peak_rss_mib_rank0": peak,
                       "first": float(w.to_local().flatten()[0])}, f)
    dist.destroy_process_group()


def fsdp(mode: str, world: int, layers: int) -> dict:
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.json")
        mp.spawn(_fsdp_rank, args=(world, os.path.join(d, "store"), mode, layers, out), nprocs=world)
        with open(out) as f:
            return json.load(f)


def run_child(args: list[str]) -> dict:
    p = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{args} failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["one", "fsdp", "all"])
    ap.add_argument("rest", nargs="*")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--world", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--small", action="store_true")
    a = ap.parse_args()
    layers = 2 if a.small else LAYERS
    small = ["--small"] if a.small else []
    if a.what == "one":
        mode, dtype, law = a.rest
        print(json.dumps(one(mode, dtype, law, a.threads, layers)))
    elif a.what == "fsdp":
        print(json.dumps(fsdp(a.rest[0], a.world, layers)))
    else:
        print(f"# {time.strftime('%Y-%m-%d %H:%M')}  torch {torch.__version__}  cpus {os.cpu_count()}  "
              f"load {os.getloadavg()[0]:.2f}  layers {layers}", flush=True)
        print("| dtype | law | PyTorch s | nninit s | speed-up | PyTorch peak/model | nninit peak/model |")
        print("|---|---|---|---|---|---|---|", flush=True)
        for dtype in ("f32", "bf16"):
            for law in ("normal", "trunc"):
                ts, ns = [], []
                for _ in range(a.repeat):  # alternate, so drift in load hits both
                    ts.append(run_child(["one", "torch", dtype, law, f"--threads={a.threads}", *small]))
                    ns.append(run_child(["one", "nninit", dtype, law, f"--threads={a.threads}", *small]))
                t = min(ts, key=lambda r: r["seconds"])
                n = min(ns, key=lambda r: r["seconds"])
                print(f"| {dtype} | {law} | {t['seconds']:.2f} | {n['seconds']:.3f} | "
                      f"**{t['seconds'] / n['seconds']:.1f}x** | {t['extra_over_model']:.3f} | "
                      f"{n['extra_over_model']:.3f} |", flush=True)
        t = run_child(["fsdp", "torch", f"--world={a.world}", *small])
        n = run_child(["fsdp", "nninit", f"--world={a.world}", *small])
        print(f"\nFSDP2 on {a.world} ranks (gloo, 1 thread each), f32 trunc: PyTorch {t['seconds']:.2f} s, "
              f"nninit {n['seconds']:.3f} s: **{t['seconds'] / n['seconds']:.1f}x**; "
              f"rank-0 peak RSS {t['peak_rss_mib_rank0']:.0f} vs {n['peak_rss_mib_rank0']:.0f} MiB")


if __name__ == "__main__":
    main()
