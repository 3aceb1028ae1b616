"""The Python probe's advice is the CLI's: the same rules (nninit_diag::advice), the same
findings and the same checked fix for the same MLP, weights and data; and for models that are
not MLPs, the chain the rules read (residual blocks, activations), gradients along it and a
remedy instead of an unchecked fix."""

import gzip
import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import nninit.torch as nt
from nninit import _advice


def _cli():
    """The nninit binary (NNINIT_BIN or this checkout's target/), if it has `probe --weights`."""
    root = Path(__file__).resolve().parents[2]
    for c in (os.environ.get("NNINIT_BIN"), root / "target/release/nninit",
              root / "target/debug/nninit", shutil.which("nninit")):
        if c and Path(c).is_file():
            h = subprocess.run([str(c), "probe", "--help"], capture_output=True, text=True)
            if "--weights" in h.stdout:
                return str(c)
    return None


def write_safetensors(path, tensors: dict):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_mnist(d: Path, images: torch.Tensor, labels: torch.Tensor):
    """IDX files (gzipped) of uint8 images (n, 28, 28) and labels, as test and train sets."""
    n = images.shape[0]
    img = struct.pack(">IIII", 0x803, n, 28, 28) + images.to(torch.uint8).numpy().tobytes()
    lab = struct.pack(">II", 0x801, n) + labels.to(torch.uint8).numpy().tobytes()
    for split in ("t10k", "train"):
        (d / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(img))
        (d / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(lab))


def mlp(widths, act):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(act())
    return nn.Sequential(*layers)


# (name, widths, activation module, CLI activation, weight std (None: PyTorch default), grad)
CASES = [
    ("relu-small", [784, 64, 64, 64, 64, 64, 64, 10], nn.ReLU, "relu", 0.02, False),
    ("relu-small-grad", [784, 64, 64, 64, 64, 64, 64, 10], nn.ReLU, "relu", 0.02, True),
    ("zeros", [784, 32, 32, 10], nn.ReLU, "relu", 0.0, False),
    ("tanh-large", [784, 64, 64, 64, 64, 10], nn.Tanh, "tanh", 0.5, False),
    ("pytorch-default-deep", [784] + [64] * 10 + [10], nn.ReLU, "relu", None, True),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_mlp_advice_equals_cli(case, tmp_path):
    cli = _cli()
    if cli is None:
        pytest.skip("no nninit binary with `probe --weights` (build nninit-cli, or set NNINIT_BIN)")
    name, widths, act, act_name, std, grad = case
    g = torch.Generator().manual_seed(7)
    n = 200
    images = torch.randint(0, 256, (n, 28, 28), generator=g)
    images[:, :4] = 0  # a border, as MNIST's
    labels = torch.randint(0, 10, (n,), generator=g)
    write_mnist(tmp_path, images, labels)
    torch.manual_seed(0)
    model = mlp(widths, act)
    if std is not None:
        with torch.no_grad():
            for m in model:
                if isinstance(m, nn.Linear):
                    m.weight.normal_(0.0, std, generator=g) if std > 0 else m.weight.zero_()
                    m.bias.zero_()
    weights = tmp_path / "w.safetensors"
    write_safetensors(weights, model.state_dict())
    cmd = [cli, "probe", "--arch", ",".join(map(str, widths)), "--activation", act_name,
           "--mnist", str(tmp_path), "--batch", str(n), "--weights", str(weights), "--json"]
    if grad:
        cmd.append("--grad")
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    inits = doc["inits"] if isinstance(doc, dict) else doc
    cli_advice = inits[0]["advice"]
    # the same images, scaled to [0, 1] as the CLI does, and the same loss
    x = images.reshape(n, -1).to(torch.float32) / 255.0
    rep = nt.probe(model, x, inits=["as-is"],
                   loss_fn=(lambda o: F.cross_entropy(o, labels.long())) if grad else None)
    py_advice = rep.runs[0]["advice"]
    assert [a["symptom"] for a in py_advice] == [a["symptom"] for a in cli_advice], (py_advice, cli_advice)
    assert cli_advice or name == "relu-small-grad", "each case is meant to be flagged"
    for p, c in zip(py_advice, cli_advice):
        assert p["basis"] == c["basis"] and p["steps"] == c["steps"]
        for k in ("factor_per_layer", "factor_total"):
            if c[k] is None:
                assert p[k] is None
            else:  # f32 forward in both, float64 statistics in Python: rel 1e-3
                assert p[k] == pytest.approx(c[k], rel=1e-3), k
        assert (p["fix"] is None) == (c["fix"] is None)
        if c["fix"]:
            assert p["fix"]["init"] == c["fix"]["init"]
            assert p["fix"]["gain"] == pytest.approx(c["fix"]["gain"], rel=1e-9)
        assert p["remedy"] == c["remedy"]
    # the text is the CLI's advice text (the layer labels are the module names here)
    assert rep.table().count("fix: --init") == (1 if cli_advice and cli_advice[-1]["fix"] else 0)


def test_zeros_is_constant_weights_with_a_checked_fix():
    torch.manual_seed(0)
    model = mlp([32, 64, 64, 10], nn.ReLU)
    rep = nt.probe(model, torch.randn(128, 32), inits=["zeros"])
    adv = rep.runs[0]["advice"]
    assert adv[0]["symptom"] == "constant_weights"
    assert adv[0]["fix"]["init"].startswith("kaiming_normal")
    text = rep.table()
    assert "constant weights" in text and "fix: --init kaiming_normal" in text


class Block(nn.Module):
    def __init__(self, d, scale):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.act = nn.GELU()
        self.proj = nn.Linear(4 * d, d)
        self.scale = scale

    def forward(self, x):
        return x + self.proj(self.act(self.fc(self.ln(x))))


class Stack(nn.Module):
    def __init__(self, d=64, n=12):
        super().__init__()
        self.emb = nn.Linear(16, d)
        self.h = nn.ModuleList(Block(d, 1.0) for _ in range(n))
        self.head = nn.Linear(d, 8)

    def forward(self, x):
        x = self.emb(x)
        for b in self.h:
            x = b(x)
        return self.head(x)


def test_residual_stream_growth_gets_the_block_advice():
    torch.manual_seed(0)
    model = Stack()
    x = torch.randn(64, 10, 16)
    n = len(model.h)
    common = [("emb.weight", "normal:1.0"), ("*.fc.weight", "normal:0.3"), ("head.weight", "normal:0.3"),
              ("*.ln.weight", "ones"), ("*bias", "zeros")]
    # every block adds a variance comparable to the stream's: the stream grows like sqrt(depth)
    rules_flat = [("*.proj.weight", "normal:0.3")] + common
    # GPT-2's scaled projections: std / sqrt(2 * n_layer)
    rules_scaled = [("*.proj.weight", f"normal:{0.3 / (2 * n) ** 0.5}")] + common
    rep = nt.probe(model, x, inits={"flat": rules_flat, "scaled": rules_scaled})
    flat, scaled = rep.runs
    a = [x for x in flat["advice"] if x["symptom"] == "exploding"]
    assert a, flat["advice"]
    assert a[0]["from_layer"] == "h.0" and a[0]["to_layer"] == f"h.{n - 1}"
    assert "residual stream" in a[0]["cause"] and "1/sqrt(2*n_layer)" in a[0]["remedy"]
    assert a[0]["fix"] is None
    # the factor is the measured one: last block std / first block std
    blocks = {l["name"]: l["std"] for l in flat["layers"] if l["block"]}
    assert a[0]["factor_total"] == pytest.approx(blocks[f"h.{n - 1}"] / blocks["h.0"], rel=1e-12)
    assert not any(x["symptom"] == "exploding" for x in scaled["advice"]), scaled["advice"]


def test_gradients_along_the_chain():
    """Vanishing gradients are read along the chain (here the tanh outputs), width-corrected."""
    torch.manual_seed(0)
    model = mlp([16] + [64] * 8 + [4], nn.Tanh)
    x = torch.randn(128, 16)
    y = torch.randint(0, 4, (128,))
    # a non-MLP batch (tuple of two tensors), so the chain rule, not the MLP path, applies
    class Two(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, a, b):
            return self.m(a + 0 * b)

    rep = nt.probe(Two(model), (x, x), inits=["normal:0.02"], loss_fn=lambda o: F.cross_entropy(o, y))
    run = rep.runs[0]
    g = [x for x in run["advice"] if x["symptom"] == "vanishing_gradients"]
    assert g, run["advice"]
    tanh = [l for l in run["layers"] if l["kind"] == "Tanh"]
    want = tanh[0]["grad_std"] / tanh[-1]["grad_std"]
    assert g[0]["factor_total"] == pytest.approx(want, rel=1e-12)
    assert g[0]["from_layer"] == tanh[0]["name"] and g[0]["basis"] == "measured"


def test_advice_input_errors_are_value_errors():
    from nninit import _nninit

    with pytest.raises(ValueError, match="advice"):
        _nninit.advise_json("{not json")
    with pytest.raises(ValueError, match="advice"):
        _nninit.advice_text("x", '[{"symptom": "nope"}]')
    # NaN statistics are sent as null, not as invalid JSON
    run = {"layers": [{"name": "0", "kind": "Linear", "units": 4, "std": float("nan"), "nonfinite": 3}]}
    assert _advice.advise(run)[0]["symptom"] == "overflow"


# ------------------------------------------------- break-it findings (each failed before)


def test_nested_sequential_is_not_a_residual_stream():
    """Sequential(Sequential(Linear, act), ...) has no skip: the plain-MLP advice, not blocks."""
    torch.manual_seed(0)
    nested = nn.Sequential(*[nn.Sequential(nn.Linear(64, 64), nn.Tanh()) for _ in range(8)], nn.Linear(64, 10))
    flat = nn.Sequential(*[m for blk in list(nested)[:-1] for m in blk], nested[-1])
    assert nt.find_blocks(nested) == []
    x = torch.randn(64, 64)
    a = nt.probe(nested, x, inits=["normal:1", "xavier_normal"]).runs
    b = nt.probe(flat, x, inits=["normal:1", "xavier_normal"]).runs
    for ra, rb in zip(a, b):
        assert [v["symptom"] for v in ra["advice"]] == [v["symptom"] for v in rb["advice"]]
        assert not any("residual" in v["cause"] for v in ra["advice"])
    assert any(v["symptom"] == "saturation" for v in a[0]["advice"])
    assert a[1]["advice"] == []


def test_parametrized_weights_are_not_recorded_as_outputs():
    from torch.nn.utils.parametrizations import weight_norm

    torch.manual_seed(0)
    m = nn.Sequential(weight_norm(nn.Linear(8, 8)), nn.ReLU(), nn.Linear(8, 2))
    rep = nt.probe(m, torch.randn(16, 8), inits=["as-is"])
    names = [l["name"] for l in rep.runs[0]["layers"]]
    assert names == ["0", "1", "2"], names
    assert not any(l["block"] for l in rep.runs[0]["layers"])
    assert not any("residual" in a["cause"] for a in rep.runs[0]["advice"])


def test_functional_activations_use_the_weight_layers_as_the_chain():
    class F2(nn.Module):
        def __init__(self):
            super().__init__()
            self.ls = nn.ModuleDict({f"l{i}": nn.Linear(64, 64) for i in range(8)})

        def forward(self, x):
            for l in self.ls.values():
                x = torch.tanh(l(x))
            return x

    torch.manual_seed(0)
    # tanh's gain 5/3 keeps the pre-activations' scale; N(0, 0.01^2) shrinks it 10x per layer
    rep = nt.probe(F2(), torch.randn(64, 64), inits=["normal:0.01", "kaiming_normal:nonlinearity=tanh"])
    small, good = rep.runs
    assert any(a["symptom"] == "vanishing" for a in small["advice"]), small["advice"]
    assert not any(a["symptom"] == "vanishing" for a in good["advice"]), good["advice"]


def test_zero_readout_is_not_constant_weights():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    x = torch.rand(128, 1, 28, 28)
    y = torch.randint(0, 10, (128,))
    rep = nt.probe(m, x, inits={"zero readout": [("5.weight", "zeros"), ("*.bias", "zeros"), ("*", "kaiming_normal")],
                                "all zeros": "zeros"}, loss_fn=lambda o: F.cross_entropy(o, y))
    zr, allz = rep.runs
    assert zr["advice"] == [], zr["advice"]
    assert allz["advice"][0]["symptom"] == "constant_weights"


def test_degenerate_batches():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    one = nt.probe(m, torch.randn(1, 8), inits=["kaiming_uniform"]).runs[0]
    assert not any(a["symptom"] == "collapse" for a in one["advice"]), one["advice"]
    with pytest.raises(ValueError, match="empty"):
        nt.probe(m, torch.randn(0, 8))
    x = torch.randn(4, 8)
    x[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf"):
        nt.probe(m, x)


def test_recipe_names_are_inits():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    try:
        from probe_examples import GPT
    finally:
        sys.path.pop(0)
    torch.manual_seed(0)
    g = GPT(layers=2, d=32, heads=2, ctx=16)
    idx = torch.randint(0, 256, (2, 16))
    rep = nt.probe(g, idx, inits=["nanogpt", "as-is"])
    assert [r["name"] for r in rep.runs] == ["nanogpt", "as-is"]


def test_a_callable_that_replaces_a_parameter_is_refused_and_undone():
    m = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    w0 = m[0].weight
    before = w0.detach().clone()

    def bad(mod):
        mod[0].weight = nn.Parameter(torch.zeros(8, 8))

    with pytest.raises(ValueError, match="replaced 0.weight"):
        nt.probe(m, torch.randn(16, 8), inits=[bad])
    assert m[0].weight is w0 and torch.equal(w0.detach(), before)


def test_files_get_the_umask_mode(tmp_path):
    m = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    rep = nt.probe(m, torch.randn(16, 8))
    old = os.umask(0o022)
    try:
        rep.html(tmp_path / "r.html")
        rep.plot(tmp_path / "r.svg")
    finally:
        os.umask(old)
    for f in ("r.html", "r.svg"):
        assert (tmp_path / f).stat().st_mode & 0o777 == 0o644
    with pytest.raises(FileNotFoundError, match="/nonexistent"):
        rep.plot("/nonexistent/x.svg")


def test_argument_errors():
    m = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    x = torch.randn(16, 8)
    rep = nt.probe(m, x)
    assert "activation std" in rep.table(stats="std")
    with pytest.raises(ValueError, match="unknown statistic"):
        rep.table(stats=("bogus",))
    with pytest.raises(TypeError, match="labels"):
        nt.probe(m, x, inits={1: "zeros"})
    with pytest.raises(ValueError, match="twice"):
        nt.probe(m, x, inits=["zeros", "zeros"])
    assert [r["name"] for r in nt.probe(m, x, inits=[lambda _: None, lambda _: None]).runs] == \
        ["<lambda>", "<lambda> (2)"]
    with pytest.raises(ValueError, match="seed"):
        nt.probe(m, x, seed=2**64)
    with pytest.raises(ValueError, match="feature_dim=-7"):
        nt.probe(m, x, feature_dim=-7)
    with pytest.raises(TypeError, match="scalar tensor"):
        nt.probe(m, x, loss_fn=lambda o: 1.0)


def test_watch_skips_evaluation_forwards_and_warns_on_a_late_loss():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))
    X, Y = torch.randn(256, 32), torch.randint(0, 10, (256,))
    opt = torch.optim.SGD(m.parameters(), lr=0.0)
    w = nt.watch(m, optimizer=opt, every=1)
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(m(X[:16]), Y[:16])
        loss.backward()
        opt.step()
        with pytest.warns(UserWarning, match="before optimizer.step"):
            w.loss(loss)  # too late: the watch is on the next step
        m.eval()
        with torch.no_grad():
            m(X * 100)
        m.train()
    w.close()
    recs = [r for r in w.records if "step" in r]
    assert [r["layers"][0]["rows"] for r in recs] == [16, 16, 16]
    assert len({round(r["layers"][0]["std"], 12) for r in recs}) == 1  # lr 0: the same weights


def test_load_watch_leaves_out_a_cut_off_last_line(tmp_path):
    m = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    p = tmp_path / "w.jsonl"
    with nt.watch(m, optimizer=opt, every=1, path=str(p)):
        for _ in range(3):
            opt.zero_grad()
            m(torch.randn(4, 8)).sum().backward()
            opt.step()
    text = p.read_text()
    p.write_text(text[: len(text) - 40])  # the last line cut off mid-write
    with pytest.warns(UserWarning, match="cut off"):
        doc = nt.load_watch(str(p))
    assert len(doc["runs"][0]["steps"]) == 2
    (tmp_path / "bad.jsonl").write_text(text.splitlines()[0] + "\n{oops\n" + text.splitlines()[1] + "\n")
    with pytest.raises(ValueError, match="line 2"):
        nt.load_watch(str(tmp_path / "bad.jsonl"))


def test_output_suffixes_and_batch_grads():
    m = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    x = torch.randn(16, 8, requires_grad=True)
    rep = nt.probe(m, x, loss_fn=lambda o: o.sum())
    assert x.grad is None, "probe left a gradient on the batch"
    with pytest.raises(ValueError, match=r"\.svg"):
        rep.plot("x.png")
    with pytest.raises(ValueError, match=r"\.html"):
        rep.html("x.txt")
