"""Layout invariance with real process groups (gloo, CPU, torch.multiprocessing): every rank
fills only its local shards with nninit's counter-based stream, and the gathered full tensors
are bit-identical to a single-process fill, for raw DTensors and for a small Llama-style model
on the meta device under no wrapping, FSDP2, TP and FSDP2 x TP."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn

import nninit.torch as nt

pytestmark = pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(), reason="torch.distributed with gloo"
)



# ------------------------------------------------------------------------------ model
# The model, rules and layouts are scripts/check_layouts.py's (the same check under torchrun).

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from check_layouts import RULES, SEED, TinyLlama, laid_out_init, reference_state  # noqa: E402

sys.path.pop(0)


# ---------------------------------------------------------------------- worker processes


def _run(rank, world, store_dir, job, out_path):
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{store_dir}/pg", rank=rank, world_size=world
    )
    try:
        result = job(rank, world)
        if rank == 0:
            torch.save(result, out_path)
    finally:
        dist.destroy_process_group()


def spawn(job, world):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.pt")
        mp.start_processes(_run, args=(world, d, job, out), nprocs=world, start_method="spawn")
        return torch.load(out)


def job_raw_dtensors(rank, world):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor

    out = {}
    mesh1 = init_device_mesh("cpu", (world,))
    dt = distribute_tensor(torch.zeros(3, 7), mesh1, [Shard(1)])
    nt.normal_(dt, 0.0, 0.02, seed=5, name="x")
    out["shard1_3x7"] = dt.full_tensor()
    dt = distribute_tensor(torch.zeros(5, 6, dtype=torch.bfloat16), mesh1, [Shard(0)])
    nt.kaiming_uniform_(dt, seed=5, name="y")  # 5 rows on 4 ranks: 2,2,1,0 (an empty shard)
    out["shard0_5x6_bf16"] = dt.full_tensor()
    dt = distribute_tensor(torch.zeros(8, 6), mesh1, [Replicate()])
    nt.orthogonal_(dt, seed=5, name="z")
    out["replicate_orthogonal"] = dt.full_tensor()
    if world == 4:
        mesh2 = init_device_mesh("cpu", (2, 2))
        dt = distribute_tensor(torch.zeros(9, 10), mesh2, [Shard(0), Shard(1)])
        nt.init_(dt, "trunc_normal:0.5", seed=5, name="w")
        out["2d_shard0_shard1"] = dt.full_tensor()
        dt = distribute_tensor(torch.zeros(9, 10), mesh2, [Shard(1), Shard(1)])
        nt.init_(dt, "uniform:-1,1", seed=5, name="v")
        out["2d_shard1_shard1"] = dt.full_tensor()
    return out


def raw_reference():
    return {
        "shard1_3x7": nt.normal_(torch.zeros(3, 7), 0.0, 0.02, seed=5, name="x"),
        "shard0_5x6_bf16": nt.kaiming_uniform_(torch.zeros(5, 6, dtype=torch.bfloat16), seed=5, name="y"),
        "replicate_orthogonal": nt.orthogonal_(torch.zeros(8, 6), seed=5, name="z"),
        "2d_shard0_shard1": nt.init_(torch.zeros(9, 10), "trunc_normal:0.5", seed=5, name="w"),
        "2d_shard1_shard1": nt.init_(torch.zeros(9, 10), "uniform:-1,1", seed=5, name="v"),
    }


def _model_job(dp, tp):
    def job(rank, world):
        return laid_out_init(dp, tp)
    return job


def job_fsdp2(rank, world):
    return _model_job(world, 1)(rank, world)


def job_tp2(rank, world):
    return _model_job(1, world)(rank, world)


def job_fsdp2_tp2(rank, world):
    return _model_job(2, 2)(rank, world)


# --------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("world", [1, 2, 4])
def test_raw_dtensors(world):
    got = spawn(job_raw_dtensors, world)
    ref = raw_reference()
    for k, v in got.items():
        assert torch.equal(v, ref[k]), f"{k} on {world} ranks differs from the single-process fill"


def test_plain_model_tied_and_buffers():
    ref = reference_state()
    with torch.device("meta"):
        m = TinyLlama()
    m.to_empty(device="cpu")
    m.output.weight = m.tok_embeddings.weight  # tied: one parameter, first name wins
    m.freqs.fill_(-1.0)
    nt.init_module(m, RULES, seed=SEED)
    assert m.output.weight is m.tok_embeddings.weight
    assert torch.equal(m.tok_embeddings.weight, ref["tok_embeddings.weight"])
    assert torch.equal(m.freqs, torch.full((4,), -1.0)), "init_module changed a buffer"
    for k, v in m.state_dict().items():
        if k not in ("freqs", "output.weight"):
            assert torch.equal(v, ref[k]), k


@pytest.mark.parametrize(
    "job,world,expect",
    [(job_fsdp2, 2, "Shard(dim=0)"), (job_fsdp2, 4, "Shard(dim=0)"), (job_tp2, 2, "Shard"),
     (job_fsdp2_tp2, 4, "_S")],
    ids=["fsdp2x2", "fsdp2x4", "tp2", "fsdp2x2_tp2"],
)
def test_model_layouts(job, world, expect):
    ref = reference_state()
    got = spawn(job, world)
    assert set(got["params"]) == set(ref)
    for k, v in got["params"].items():
        assert torch.equal(v, ref[k]), f"{k} ({got['placements'][k]}) differs"
    # the layout really was sharded as intended
    assert any(expect in p for p in got["placements"].values()), got["placements"]


def test_init_module_errors():
    m = TinyLlama()
    with pytest.raises(ValueError, match="no rule matches parameter 'tok_embeddings.weight'"):
        nt.init_module(m, [("layers.*", "normal:0.02")], seed=0)
    with pytest.raises(ValueError, match="unknown init"):
        nt.init_module(m, [("*", "gaussian")], seed=0)
    with pytest.raises(ValueError, match="parameter 'layers.0.attention_norm.weight'"):
        nt.init_module(m, [("*", "xavier_uniform")], seed=0)  # 1-d: no fans, nothing written
    with torch.device("meta"):
        on_meta = TinyLlama()
    with pytest.raises(ValueError, match="meta device"):
        nt.init_module(on_meta, "normal:0.02", seed=0)
    # the string form: weights, biases zeros, norm weights ones
    nt.init_module(m, "normal:0.02", seed=0)
    assert torch.equal(m.norm.weight, torch.ones(36))
    assert torch.equal(m.layers[0].w2.bias, torch.zeros(36))


def test_init_module_defaults_and_names():
    """1-d weights get ones only in *Norm modules (a PReLU slope needs a rule); an
    Embedding's padding row is zero; a torch.compile wrapper's `_orig_mod.` is not part of
    the key."""
    with pytest.raises(ValueError, match="PReLU"):
        nt.init_module(nn.Sequential(nn.Linear(4, 4), nn.PReLU(4)), "normal:0.02", seed=0)
    emb = nn.Embedding(10, 4, padding_idx=3)
    nt.init_module(emb, "normal:1", seed=0)
    assert emb.weight[3].abs().sum() == 0 and emb.weight[4].abs().sum() > 0

    class Wrapper(nn.Module):  # what torch.compile's OptimizedModule looks like to named_parameters
        def __init__(self, m):
            super().__init__()
            self._orig_mod = m

    a, b = nn.Linear(5, 3), nn.Linear(5, 3)
    nt.init_module(a, "normal:0.02", seed=1)
    nt.init_module(Wrapper(b), "normal:0.02", seed=1)
    assert torch.equal(a.weight, b.weight)
    with pytest.raises(ValueError, match="needs seed="):
        nt.init_module(a, "zeros", seed=None)


@pytest.mark.parametrize("layout,n", [("fsdp2", 2), ("tp", 2), ("fsdp2xtp", 4)])
def test_torchrun_check_layouts(layout, n):
    """The README's torchrun check: every rank fills its shards, the gathered digest equals a
    single process's."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(n),
         str(root / "scripts/check_layouts.py"), "--layout", layout],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "equal" in out.stdout and "DIFFERENT" not in out.stdout
