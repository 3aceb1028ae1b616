#!/usr/bin/env python3
"""Golden hashes for nninit's nanoGPT torch mode (issue #14).

Runs nanoGPT's model construction (`torch.manual_seed(S); GPT(GPTConfig(...))`) with torch
and writes, per parameter of `named_parameters()` (tied weights once), the shape, the sha256
of its float32 little-endian bytes and its first values, for two tiny configs (bias on and
off), to testdata/nanogpt/nanogpt_golden.json. Read by
crates/nninit-recipes/tests/nanogpt_torch.rs.

The classes below are the construction half of karpathy/nanoGPT `model.py` (commit
3adf61e154c3fe3fca428ad6bc3818b27a3b8291, lines 18-168; forward passes and the training
helpers dropped, module structure and every `__init__`/`_init_weights` line kept as is).
nanoGPT is Copyright (c) 2022 Andrej Karpathy, MIT License.

Command, from the repo root, in a Python with torch (the project venv):
    ~/.cache/nninit/venv-<hash>/bin/python scripts/make_nanogpt_golden.py
"""

import hashlib
import json
import math
import os
import platform
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
from torch.nn import functional as F


# ---- karpathy/nanoGPT model.py (construction), MIT License, (c) 2022 Andrej Karpathy ----

class LayerNorm(nn.Module):
    """ LayerNorm but with an optional bias. PyTorch doesn't support simply bias=False """

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):

    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        # key, query, value projections for all heads, but in a batch
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        # output projection
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        # regularization
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout
        # flash attention make GPU go brrrrr but support is only in PyTorch >= 2.0
        self.flash = hasattr(torch.nn.functional, 'scaled_dot_product_attention')
        if not self.flash:
            print("WARNING: using slow attention. Flash Attention requires PyTorch >= 2.0")
            # causal mask to ensure that attention is only applied to the left in the input sequence
            self.register_buffer("bias", torch.tril(torch.ones(config.block_size, config.block_size))
                                        .view(1, 1, config.block_size, config.block_size))


class MLP(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.c_fc    = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu    = nn.GELU()
        self.c_proj  = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)


class Block(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50304 # GPT-2 vocab_size of 50257, padded up to nearest multiple of 64 for efficiency
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True # True: bias in Linears and LayerNorms, like GPT-2. False: a bit better and faster


class GPT(nn.Module):

    def __init__(self, config):
        super().__init__()
        assert config.vocab_size is not None
        assert config.block_size is not None
        self.config = config

        self.transformer = nn.ModuleDict(dict(
            wte = nn.Embedding(config.vocab_size, config.n_embd),
            wpe = nn.Embedding(config.block_size, config.n_embd),
            drop = nn.Dropout(config.dropout),
            h = nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f = LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # with weight tying when using torch.compile() some warnings get generated:
        # "UserWarning: functional_call was passed multiple values for tied weights.
        # This behavior is deprecated and will be an error in future versions"
        # not 100% sure what this is, so far seems to be harmless. TODO investigate
        self.transformer.wte.weight = self.lm_head.weight # https://paperswithcode.com/method/weight-tying

        # init all weights
        self.apply(self._init_weights)
        # apply special scaled init to the residual projections, per GPT-2 paper
        for pn, p in self.named_parameters():
            if pn.endswith('c_proj.weight'):
                torch.nn.init.normal_(p, mean=0.0, std=0.02/math.sqrt(2 * config.n_layer))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

# ---- end of nanoGPT code ----


# Two tiny configs: bias on (tensors large enough for several mt19937 twists and the
# normal_ 16-block path) and bias off (a wpe of 12 elements: normal_'s scalar path).
CASES = [
    {"seed": 1337, "config": dict(block_size=16, vocab_size=100, n_layer=2, n_head=2, n_embd=32, bias=True),
     "config_json": "nanogpt-bias.json"},
    {"seed": 0, "config": dict(block_size=3, vocab_size=11, n_layer=3, n_head=2, n_embd=4, bias=False),
     "config_json": "nanogpt-nobias.json"},
]


def hf_style_config(c: dict) -> dict:
    """The same model as a GPT-2 config.json, as nninit reads it."""
    return {"model_type": "gpt2", "n_layer": c["n_layer"], "n_head": c["n_head"],
            "n_embd": c["n_embd"], "n_positions": c["block_size"],
            "vocab_size": c["vocab_size"], "bias": c["bias"]}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(here, "..", "testdata", "nanogpt")
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    cases = []
    for case in CASES:
        torch.manual_seed(case["seed"])
        model = GPT(GPTConfig(**case["config"]))
        tensors = []
        for name, p in model.named_parameters():
            t = p.detach().to(torch.float32).contiguous()
            tensors.append({
                "name": name,
                "shape": list(t.shape),
                "sha256": hashlib.sha256(t.numpy().astype("<f4").tobytes()).hexdigest(),
                "first": [float(x) for x in t.flatten()[:4].tolist()],
            })
        with open(os.path.join(out_dir, case["config_json"]), "w") as f:
            json.dump(hf_style_config(case["config"]), f, indent=2)
            f.write("\n")
        cases.append({"seed": case["seed"], "gptconfig": case["config"],
                      "config_json": case["config_json"], "tensors": tensors})
    meta = {
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "nanogpt_commit": "3adf61e154c3fe3fca428ad6bc3818b27a3b8291",
    }
    with open(os.path.join(out_dir, "nanogpt_golden.json"), "w") as f:
        json.dump({"meta": meta, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {out_dir}")


if __name__ == "__main__":
    main()
