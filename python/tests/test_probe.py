"""nninit.torch.probe and watch: statistics against their definitions, the model left as it
was, blocks and repeated calls, the text/JSON/SVG/HTML outputs, errors, and the reduction
across gloo ranks (equal to one process on the concatenated batch)."""

import json
import math
import os
import tempfile
import xml.etree.ElementTree as ET

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

import nninit.torch as nt
from nninit import _stats


def mlp(depth=3, width=64, act=nn.ReLU, d_in=32):
    layers, d = [], d_in
    for _ in range(depth):
        layers += [nn.Linear(d, width), act()]
        d = width
    layers.append(nn.Linear(d, 10))
    return nn.Sequential(*layers)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1 = nn.Linear(d, d)
        self.fc2 = nn.Linear(d, d)
        self.act = nn.ReLU()  # called twice per forward

    def forward(self, x):
        return self.act(x + self.fc2(self.act(self.fc1(x))))


class ResMLP(nn.Module):
    def __init__(self, d=16, n=3):
        super().__init__()
        self.inp = nn.Linear(8, d)
        self.blocks = nn.ModuleList(Block(d) for _ in range(n))
        self.out = nn.Linear(d, 4)

    def forward(self, x):
        x = self.inp(x)
        for b in self.blocks:
            x = b(x)
        return self.out(x)


# ------------------------------------------------------------------ statistics, definitions


def test_layer_accumulator_matches_definitions():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 7, generator=g, dtype=torch.float64).tanh()
    x[:, 3] = 0.0  # a dead unit
    x[4, :] = 0.0  # an all-zero row (left out of the correlation)
    x[0, 0] = 0.99  # saturated
    acc = _stats.LayerAccumulator(7, "tanh")
    lo, hi = _stats.nice_range(*_stats.Moments.range_of(x))
    acc.add(x, lo, hi)
    s = acc.summary()
    assert s["mean"] == pytest.approx(float(x.mean()), rel=1e-12)
    assert s["std"] == pytest.approx(float(x.std(unbiased=False)), rel=1e-12)
    assert s["signal"] == pytest.approx(float(x.std(0, unbiased=False).mean()), rel=1e-12)
    assert s["bias_spread"] == pytest.approx(float(x.mean(0).std(unbiased=False)), rel=1e-12)
    rows = x[x.norm(dim=1) > 0]
    u = rows / rows.norm(dim=1, keepdim=True)
    c = u @ u.T
    n = u.shape[0]
    want = float((c.sum() - c.diagonal().sum()) / (n * (n - 1)))
    assert s["correlation"] == pytest.approx(want, rel=1e-10)
    assert s["frac_zero"] == float((x == 0).double().mean())
    assert s["frac_dead"] == 1 / 7
    assert s["frac_saturated"] == float((x.abs() > 0.97).double().mean())
    h = s["hist"]
    assert (h["lo"], h["hi"]) == (-1.0, 1.0) and sum(h["counts"]) == x.numel()
    want_h = torch.histc(x, bins=_stats.BINS, min=-1, max=1)
    assert h["counts"] == [int(v) for v in want_h]


def test_accumulator_of_two_batches_is_that_of_their_union():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 5, generator=g, dtype=torch.float64)
    lo, hi = _stats.nice_range(*_stats.Moments.range_of(x))
    whole = _stats.LayerAccumulator(5, None)
    whole.add(x, lo, hi)
    a, b = _stats.LayerAccumulator(5, None), _stats.LayerAccumulator(5, None)
    a.add(x[:20], lo, hi)
    b.add(x[20:], lo, hi)
    a.load(a.state() + b.state())
    sa, sw = a.summary(), whole.summary()
    assert sa["hist"] == sw["hist"]
    for k in ("mean", "std", "signal", "bias_spread", "correlation"):
        assert sa[k] == pytest.approx(sw[k], rel=1e-12), k


# ----------------------------------------------------------------------------- probe


def test_probe_mlp_values_and_model_left_alone():
    torch.manual_seed(0)
    model = mlp(depth=3, width=256, d_in=784)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(512, 784)
    y = torch.randint(0, 10, (512,))
    rng = torch.get_rng_state()
    rep = nt.probe(model, x, inits=["as-is", "kaiming_normal", "zeros"],
                   loss_fn=lambda out: F.cross_entropy(out, y), seed=3)
    assert torch.equal(torch.get_rng_state(), rng), "probe changed the global RNG"
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), f"probe changed {k}"
    assert all(p.grad is None for p in model.parameters())
    assert [r["name"] for r in rep.runs] == ["as-is", "kaiming_normal", "zeros"]
    asis, kn, zeros = rep.runs
    names = [l["name"] for l in kn["layers"]]
    assert names == [str(i) for i in range(7)]
    # the as-is run is the model's own forward
    with torch.no_grad():
        h0 = model[0](x)
    assert asis["layers"][0]["std"] == pytest.approx(float(h0.double().std(unbiased=False)), rel=1e-9)
    # kaiming_normal (fan_in, relu): Var(W) = 2/784, so std(Linear 0) = sqrt(2 E[x^2]) ~ sqrt(2);
    # the sampling error over 256 x 784 weights and 512 x 256 outputs is ~1%: band 5%
    assert kn["layers"][0]["std"] == pytest.approx(math.sqrt(2), rel=0.05)
    # and then Var is kept through ReLU + Linear: std(Linear 2) ~ std(Linear 0)
    assert kn["layers"][4]["std"] / kn["layers"][0]["std"] == pytest.approx(1.0, rel=0.15)
    # zeros: every output after the first Linear is exactly 0; the advice says so
    assert all(l["std"] == 0 for l in zeros["layers"])
    assert zeros["advice"][0]["symptom"] == "constant_weights"
    assert "constant" in zeros["advice"][0]["cause"] and zeros["advice"][0]["fix"] is not None
    assert all(a["symptom"] not in ("vanishing", "constant_weights") for a in kn["advice"])
    # gradients: the last Linear's dL/d(out) is (softmax - onehot)/B, its std computed here
    with torch.random.fork_rng():
        torch.manual_seed(3)
        m2 = mlp(depth=3, width=256, d_in=784)
        nt.init_module(m2, "kaiming_normal", seed=3)
    out = m2(x).detach().requires_grad_(True)
    F.cross_entropy(out, y).backward()
    assert kn["layers"][-1]["grad_std"] == pytest.approx(float(out.grad.double().std(unbiased=False)), rel=1e-6)
    w = kn["layers"][-1]
    assert w["update_to_data"] == pytest.approx(0.01 * w["weight_grad_std"] / w["weight_std"], rel=1e-12)
    assert w["grad_to_data"] == pytest.approx(w["weight_grad_std"] / w["weight_std"], rel=1e-12)
    with torch.no_grad():
        assert kn["loss"] == pytest.approx(float(F.cross_entropy(m2(x), y)), rel=1e-6)


def test_saturation_and_collapse_flagged():
    torch.manual_seed(0)
    model = mlp(depth=6, width=128, act=nn.Tanh)
    x = torch.randn(256, 32)
    rep = nt.probe(model, x, inits={"big": "normal:1.0", "tiny": "normal:0.001"})
    big, tiny = rep.runs
    tanh = [l for l in big["layers"] if l["kind"] == "Tanh"]
    assert all(l["frac_saturated"] > 0.5 for l in tanh[1:])
    assert any(a["symptom"] == "saturation" for a in big["advice"])
    assert any(a["symptom"] == "vanishing" for a in tiny["advice"])
    lin = [l for l in big["layers"] if l["kind"] == "Linear"]
    assert all(l["frac_saturated"] is None for l in lin)


def test_blocks_and_repeated_calls():
    torch.manual_seed(0)
    model = ResMLP()
    assert nt.find_blocks(model) == ["blocks.0", "blocks.1", "blocks.2"]
    rep = nt.probe(model, torch.randn(32, 8), inits=["as-is"])
    layers = rep.runs[0]["layers"]
    names = [l["name"] for l in layers]
    assert "blocks.0.act" in names and "blocks.0.act#2" in names
    blocks = [l for l in layers if l["block"]]
    assert [l["name"] for l in blocks] == ["blocks.0", "blocks.1", "blocks.2"]
    # the block's output is its last ReLU's second call
    b0 = next(l for l in layers if l["name"] == "blocks.0")
    a2 = next(l for l in layers if l["name"] == "blocks.0.act#2")
    assert b0["std"] == a2["std"] and b0["hist"] == a2["hist"]
    # a ResNet-style nn.Sequential of blocks (a block is a module with an inside; a plain
    # nn.Sequential grouping or a single layer has no residual path), and blocks named by glob
    seq = nn.Sequential(nn.Linear(8, 16), Block(16), nn.Sequential(nn.Linear(16, 16), nn.ReLU()), nn.ReLU())
    assert nt.find_blocks(seq) == ["1"]
    assert nt.find_blocks(nn.ModuleList([nn.Linear(2, 2), Block(2)])) == ["1"]
    assert nt.find_blocks(model, ["blocks.*.fc1"]) == ["blocks.0.fc1", "blocks.1.fc1", "blocks.2.fc1"]


def test_conv_outputs_use_channels_as_units():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
    rep = nt.probe(model, torch.randn(4, 3, 6, 6), inits=["as-is"])
    l0 = rep.runs[0]["layers"][0]
    assert l0["units"] == 8 and l0["rows"] == 4 * 6 * 6


def test_outputs_table_json_svg_html():
    torch.manual_seed(0)
    model = mlp()
    x, y = torch.randn(64, 32), torch.randint(0, 10, (64,))
    rep = nt.probe(model, x, inits=["as-is", "xavier_uniform"], loss_fn=lambda o: F.cross_entropy(o, y))
    text = rep.table()
    assert "activation std" in text and "xavier_uniform" in text and "advice:" in text
    assert "update:data ratio" in text and "0.weight" in text
    doc = json.loads(rep.to_json())
    assert doc["nninit_report"] == 1 and len(doc["runs"]) == 2
    with tempfile.TemporaryDirectory() as d:
        svg = os.path.join(d, "p.svg")
        rep.plot(svg)
        root = ET.parse(svg).getroot()
        paths = root.findall(".//{http://www.w3.org/2000/svg}path")
        assert len(paths) == 2 * 4  # 2 inits x (std, signal, correlation, grad std)
        html = os.path.join(d, "p.html")
        rep.html(html)
        page = open(html, encoding="utf-8").read()
        assert page.startswith("<!DOCTYPE html>") and "xavier_uniform" in page
        assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_errors():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        nt.probe(object(), torch.zeros(1))
    with pytest.raises(TypeError, match="must be 'as-is'"):
        nt.probe(mlp(), torch.zeros(2, 32), inits=[3])
    with pytest.raises(ValueError, match="unknown init"):
        nt.probe(mlp(), torch.zeros(2, 32), inits=["gaussian"])
    with pytest.raises(ValueError, match="lr must be finite"):
        nt.probe(mlp(), torch.zeros(2, 32), lr=-1.0)
    with pytest.raises(ValueError, match="nninit_report"):
        nt.render_html({"runs": []})


# ----------------------------------------------------------------------------- watch


def test_watch_sgd_updates_and_file():
    torch.manual_seed(0)
    model = mlp(depth=2, width=32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(64, 32), torch.randint(0, 10, (64,))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "w.jsonl")
        with nt.watch(model, optimizer=opt, every=2, path=path) as w:
            for _ in range(5):
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                w.loss(loss)
                opt.step()
                opt.zero_grad()
        assert not model._forward_hooks and all(not m._forward_hooks for m in model.modules())
        assert [r["step"] for r in w.records] == [0, 2, 4]
        for r in w.records:
            for p in r["params"]:
                # plain SGD: dW = -lr g, so std(dW)/std(W) = lr std(g)/std(W)
                assert p["update_to_data"] == pytest.approx(0.1 * p["grad_to_data"], rel=1e-4), p["name"]
            assert r["loss"] is not None and r["layers"][0]["grad_std"] > 0
        lines = open(path).read().splitlines()
        assert len(lines) == 4 and json.loads(lines[0])["nninit_watch"] == 1
        doc = nt.load_watch(path)
        assert [s["step"] for s in doc["runs"][0]["steps"]] == [0, 2, 4]
        out = os.path.join(d, "w.html")
        w.html(out)
        assert "nninit watch" in open(out).read()


def test_watch_manual_steps():
    model = mlp(depth=1, width=8)
    w = nt.watch(model, every=3)
    x = torch.randn(4, 32)
    for _ in range(7):
        model(x).sum().backward()
        w.step(loss=1.0)
    w.close()
    assert [r["step"] for r in w.records] == [0, 3, 6]
    assert all(p["update_to_data"] is None for p in w.records[0]["params"])
    assert all(p["grad_to_data"] > 0 for p in w.records[0]["params"] if len(p["shape"]) == 2)
    with pytest.raises(ValueError, match="every"):
        nt.watch(model, every=0)


# ------------------------------------------------------------------------ across ranks


def _dist_job(rank, world, store_dir, out_path):
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store_dir}/pg", rank=rank, world_size=world)
    try:
        model, x, y = _dist_setup()
        n = x.shape[0] // world
        part = slice(rank * n, (rank + 1) * n)
        rep = nt.probe(model, x[part], inits=["as-is", "xavier_normal"],
                       loss_fn=lambda o: F.cross_entropy(o, y[part]), seed=2)
        # the accumulators alone, on float64 data split unevenly (13 + 24 rows)
        data = _raw_data()
        mine = data[:13] if rank == 0 else data[13:]
        acc = _stats.LayerAccumulator(data.shape[1], "tanh")
        lo, hi = _stats.nice_range(*_stats.reduce_range(*_stats.Moments.range_of(mine)))
        acc.add(mine, lo, hi)
        acc.add_grad(mine * 1e-3, lo * 1e-3, hi * 1e-3)
        _stats.reduce_states([acc])
        if rank == 0:
            with open(out_path, "w") as f:
                f.write(json.dumps({"probe": json.loads(rep.to_json()), "acc": acc.summary()}))
    finally:
        dist.destroy_process_group()


def _raw_data():
    g = torch.Generator().manual_seed(7)
    return torch.randn(37, 6, generator=g, dtype=torch.float64).tanh() * 1.2


def _dist_setup():
    # float64, so that matrix products of 20 and of 40 rows round alike (in float32 the
    # kernels may sum in another order for another batch size)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 24), nn.Tanh(), nn.Linear(24, 24), nn.ReLU(), nn.Linear(24, 5)).double()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(40, 12, generator=g, dtype=torch.float64)
    y = torch.randint(0, 5, (40,), generator=g)
    return model, x, y


def _compare(a, b, path=""):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            if k in ("world_size", "subtitle"):
                continue
            _compare(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            _compare(u, v, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-15), path
    else:
        assert a == b, path  # counts, histograms, names: exact


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="torch.distributed with gloo")
def test_two_ranks_equal_one_process_on_the_concatenated_batch():
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "rep.json")
        mp.start_processes(_dist_job, args=(2, d, out), nprocs=2, start_method="spawn")
        both = json.loads(open(out).read())
    got = both["probe"]
    data = _raw_data()
    acc = _stats.LayerAccumulator(data.shape[1], "tanh")
    lo, hi = _stats.nice_range(*_stats.Moments.range_of(data))
    acc.add(data, lo, hi)
    acc.add_grad(data * 1e-3, lo * 1e-3, hi * 1e-3)
    _compare(both["acc"], json.loads(json.dumps(acc.summary())))
    model, x, y = _dist_setup()
    want = json.loads(nt.probe(model, x, inits=["as-is", "xavier_normal"],
                               loss_fn=lambda o: F.cross_entropy(o, y), seed=2).to_json())
    assert got["meta"]["world_size"] == 2
    _compare(got["runs"], want["runs"])
    # the histograms really are pooled over 40 rows, not 20
    assert sum(got["runs"][0]["layers"][0]["hist"]["counts"]) == 40 * 24
