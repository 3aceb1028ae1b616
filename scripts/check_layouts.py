"""Layout invariance under torchrun: a small Llama-style model built on the meta device, laid
out with FSDP2, TP or FSDP2 x TP, initialised by ``nninit.torch.init_module`` (each rank fills
only its own shards, no communication), then gathered; rank 0 prints a SHA-256 of every
parameter (name order, raw bytes) and the same digest of a single-process init on the CPU.
They are equal when the values do not depend on the layout.

Usage (gloo on the CPU; the world size picks the meshes):
    torchrun --standalone --nproc-per-node 4 scripts/check_layouts.py --layout fsdp2
    torchrun --standalone --nproc-per-node 2 scripts/check_layouts.py --layout tp
    torchrun --standalone --nproc-per-node 4 scripts/check_layouts.py --layout fsdp2xtp   # 2 x 2 mesh
    python scripts/check_layouts.py --layout none                             # one process

Exit status 0 when the digests agree, 1 when they differ. ``python/tests/test_distributed.py``
uses the model, rules and layouts defined here.
"""

import argparse
import hashlib
import os
import sys

import torch
import torch.nn as nn

import nninit.torch as nt

SEED = 1234


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim))


class Block(nn.Module):
    # sizes chosen to shard unevenly: 36 / 4 ranks = 9 each, 52 -> 13, 70 rows -> 18,18,18,16
    def __init__(self, dim=36, hidden=70):
        super().__init__()
        self.attention_norm = RMSNorm(dim)
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.ffn_norm = RMSNorm(dim)
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=True)


class TinyLlama(nn.Module):
    def __init__(self, vocab=67, dim=36, layers=2):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(Block(dim) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)
        # a buffer init_module must leave alone
        self.register_buffer("freqs", torch.arange(4.0), persistent=False)


RULES = [
    ("*norm.weight", "ones"),
    ("*.bias", "zeros"),
    ("tok_embeddings.weight", "normal:0.02"),
    ("output.weight", "trunc_normal:mean=0,std=0.1667,a=-0.5,b=0.5"),
    ("*.w2.weight", "trunc_normal:0.02"),
    ("*.wo.weight", "kaiming_uniform:a=2.23606797749979"),
    ("*", "xavier_normal"),
]


def reference_state():
    """The single-process init: every parameter's values."""
    with torch.device("meta"):
        m = TinyLlama()
    m.to_empty(device="cpu")
    nt.init_module(m, RULES, seed=SEED)
    return {k: v.clone() for k, v in m.state_dict().items() if k != "freqs"}


def tp_plan():
    """torchtitan-style tensor parallel plan of :class:`TinyLlama`."""
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel

    plan = {"tok_embeddings": RowwiseParallel(), "output": ColwiseParallel()}
    for i in range(2):
        for n in ("wq", "wk", "wv", "w1", "w3"):
            plan[f"layers.{i}.{n}"] = ColwiseParallel()
        for n in ("wo", "w2"):
            plan[f"layers.{i}.{n}"] = RowwiseParallel()
    return plan


def laid_out_init(dp, tp):
    """The model on a (dp, tp) mesh of the current process group, initialised by nninit:
    ``{"params": full tensors, "placements": {name: placements}}``."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor.parallel import parallelize_module

    with torch.device("meta"):
        m = TinyLlama()
    if tp > 1 and dp > 1:
        mesh = init_device_mesh("cpu", (dp, tp), mesh_dim_names=("dp", "tp"))
        dp_mesh, tp_mesh = mesh["dp"], mesh["tp"]
    elif tp > 1:
        dp_mesh, tp_mesh = None, init_device_mesh("cpu", (tp,))
    else:
        dp_mesh, tp_mesh = init_device_mesh("cpu", (dp,)), None
    if tp_mesh is not None:
        parallelize_module(m, tp_mesh, tp_plan())
    if dp_mesh is not None:
        for layer in m.layers:
            fully_shard(layer, mesh=dp_mesh)
        fully_shard(m, mesh=dp_mesh)
    m.to_empty(device="cpu")
    nt.init_module(m, RULES, seed=SEED)
    placements = {k: str(getattr(p, "placements", "plain")) for k, p in m.named_parameters()}
    full = {k: (p.full_tensor() if hasattr(p, "full_tensor") else p.detach().clone())
            for k, p in m.named_parameters()}
    return {"params": full, "placements": placements}


def digest(params: dict) -> str:
    h = hashlib.sha256()
    for k in sorted(params):
        h.update(k.encode())
        h.update(params[k].detach().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layout", choices=["none", "fsdp2", "tp", "fsdp2xtp"], required=True)
    a = ap.parse_args()
    ref = digest(reference_state())
    if a.layout == "none":
        print(f"layout none, 1 process: {ref}")
        return 0
    import torch.distributed as dist

    if "RANK" not in os.environ:
        print("run it with torchrun --nproc-per-node N (see --help)", file=sys.stderr)
        return 2
    dist.init_process_group("gloo")
    try:
        world = dist.get_world_size()
        if a.layout == "fsdp2xtp" and world != 4:
            print("--layout fsdp2xtp needs 4 processes (a 2 x 2 mesh)", file=sys.stderr)
            return 2
        dp, tp = {"fsdp2": (world, 1), "tp": (1, world), "fsdp2xtp": (2, 2)}[a.layout]
        got = laid_out_init(dp, tp)
        d = digest(got["params"])
        if dist.get_rank() == 0:
            kinds = sorted(set(got["placements"].values()))
            print(f"layout {a.layout}, {world} processes ({', '.join(kinds)}): {d}")
            print(f"single process:                      {ref}")
            print("equal" if d == ref else "DIFFERENT")
        return 0 if d == ref else 1
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
