"""nninit.torch.init_module(model, RECIPE, seed=...): the recipe's plan, filled with the
counter-based stream keyed by (seed, FQN), on tiny models with Hugging Face names built in plain
torch (no transformers needed).

The expected values come from the plan of the config (`recipe_model_plan`, what `nninit recipe
show` prints) filled tensor by tensor with `init_(t, spec, seed=, name=)`; the specs themselves
are checked against the sources' formulas.
"""

import json
import math
from pathlib import Path

import pytest
import torch
from torch import nn

import nninit.torch as nt
from nninit import _nninit as native

CONFIGS = Path(__file__).resolve().parents[2] / "testdata" / "configs"


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: weight (in, out), bias (out)."""

    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))


class GPT2Block(nn.Module):
    def __init__(self, d, f):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.Module()
        self.attn.c_attn = Conv1D(3 * d, d)
        self.attn.c_proj = Conv1D(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Module()
        self.mlp.c_fc = Conv1D(f, d)
        self.mlp.c_proj = Conv1D(d, f)


class GPT2LMHead(nn.Module):
    """GPT2LMHeadModel's parameter names and shapes, tied head."""

    def __init__(self, c):
        super().__init__()
        d = c["n_embd"]
        self.transformer = nn.Module()
        self.transformer.wte = nn.Embedding(c["vocab_size"], d)
        self.transformer.wpe = nn.Embedding(c["n_positions"], d)
        self.transformer.h = nn.ModuleList(GPT2Block(d, 4 * d) for _ in range(c["n_layer"]))
        self.transformer.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, c["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))


class LlamaForCausalLM(nn.Module):
    """LlamaForCausalLM's parameter names and shapes (GQA, padding_idx, untied head)."""

    def __init__(self, c):
        super().__init__()
        d, f, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
        hd = d // c["num_attention_heads"]
        q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
        self.model = nn.Module()
        self.model.embed_tokens = nn.Embedding(v, d, padding_idx=c.get("pad_token_id"))
        layers = []
        for _ in range(c["num_hidden_layers"]):
            layer = nn.Module()
            layer.self_attn = nn.Module()
            for name, o, i in (("q_proj", q, d), ("k_proj", kv, d), ("v_proj", kv, d), ("o_proj", d, q)):
                setattr(layer.self_attn, name, nn.Linear(i, o, bias=False))
            layer.mlp = nn.Module()
            for name, o, i in (("gate_proj", f, d), ("up_proj", f, d), ("down_proj", d, f)):
                setattr(layer.mlp, name, nn.Linear(i, o, bias=False))
            layer.input_layernorm = RMSNorm(d)
            layer.post_attention_layernorm = RMSNorm(d)
            layers.append(layer)
        self.model.layers = nn.ModuleList(layers)
        self.model.norm = RMSNorm(d)
        self.lm_head = nn.Linear(d, v, bias=False)


def expected(recipe, config, seed, params=None):
    """name -> tensor: the config's plan filled with init_(seed=, name=), padding rows zeroed."""
    out = {}
    for name, shape, spec, pad, tied, _rule in native.recipe_model_plan(
        recipe, json.dumps(config), params
    ):
        t = torch.empty(shape)
        nt.init_(t, spec, seed=seed, name=name)
        if pad is not None:
            t[pad] = 0
        out[name] = t
    return out


def spec_std(spec):
    return float(dict(kv.split("=") for kv in spec.split(":", 1)[1].split(","))["std"])


def gpt2_config():
    return json.loads((CONFIGS / "tiny-gpt2.json").read_text())


@pytest.mark.parametrize("with_config", [True, False])
def test_gpt2_recipe_equals_the_plan(with_config):
    c = gpt2_config()
    model = GPT2LMHead(c)
    nt.init_module(model, "gpt2", seed=11, config=c if with_config else None)
    want = expected("gpt2", c, 11)
    got = dict(model.named_parameters())
    assert set(got) == set(want)  # lm_head.weight tied: once, as transformer.wte.weight
    for name, t in want.items():
        assert torch.equal(got[name].detach(), t), name
    # the source's formula: c_proj at 0.02/sqrt(2·n_layer), the rest 0.02
    plan = {n: s for n, s, _, _ in nt.recipe_plan(model, "gpt2", config=c)}
    assert spec_std(plan["transformer.h.2.attn.c_proj.weight"]) == 0.02 / math.sqrt(2 * c["n_layer"])
    assert spec_std(plan["transformer.h.0.mlp.c_fc.weight"]) == 0.02
    assert plan["transformer.h.0.ln_1.bias"] == "zeros"


def test_llama_recipe_zeroes_the_padding_row_and_reads_a_config_path():
    path = CONFIGS / "tiny-llama.json"
    c = json.loads(path.read_text())
    model = LlamaForCausalLM(c)
    nt.init_module(model, "llama", seed=3, config=str(path))
    want = expected("llama", c, 3)
    got = dict(model.named_parameters())
    assert set(got) == set(want)
    for name, t in want.items():
        assert torch.equal(got[name].detach(), t), name
    emb = got["model.embed_tokens.weight"]
    assert torch.all(emb[c["pad_token_id"]] == 0) and torch.all(emb[0] != 0)


def test_olmo_mitchell_and_mup_on_llama_names():
    c = json.loads((CONFIGS / "tiny-llama.json").read_text())
    model = LlamaForCausalLM(c)
    nt.init_module(model, "olmo-mitchell", seed=5)  # inferred config: d_model, d_ff, layers
    got = dict(model.named_parameters())
    for name, t in expected("olmo-mitchell", c, 5).items():
        assert torch.equal(got[name].detach(), t), name
    down = got["model.layers.2.mlp.down_proj.weight"]
    bound = 3 / math.sqrt(2 * c["intermediate_size"] * 3)
    assert down.abs().max() <= bound
    nt.init_module(model, "mup", seed=5, recipe_params={"base_width": 8})
    plan = {n: s for n, s, _, _ in nt.recipe_plan(model, "mup", params={"base_width": 8})}
    assert spec_std(plan["model.layers.0.self_attn.q_proj.weight"]) == 0.02 * (32 / 8) ** -0.5
    assert plan["lm_head.weight"] == "zeros"
    assert torch.all(got["lm_head.weight"] == 0)


def test_recipe_errors_are_value_errors():
    model = GPT2LMHead(gpt2_config())
    with pytest.raises(ValueError, match="covers llama configs"):
        nt.init_module(model, "torchtitan-llama3", seed=0, config=gpt2_config())
    with pytest.raises(ValueError, match="unknown parameter 'base_wdith'"):
        nt.init_module(model, "mup", seed=0, recipe_params={"base_wdith": 8})
    with pytest.raises(ValueError, match="config= and recipe_params= go with a recipe"):
        nt.init_module(model, "normal:0.02", seed=0, config=gpt2_config())
    with pytest.raises(ValueError, match="field 'n_layer'"):
        nt.init_module(model, "gpt2", seed=0, config={"model_type": "gpt2", "n_layer": "3"})
    with pytest.raises(TypeError):
        nt.init_module(model, "gpt2", seed=0, config=3)
    with pytest.raises(ValueError, match="cannot infer"):
        nt.init_module(nn.Linear(2, 2), "llama", seed=0)
