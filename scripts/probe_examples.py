"""The README's `nninit.torch.probe` examples, run as they are printed there:

1. a small ResNet-style CNN (defined here; no torchvision): PyTorch's default init vs
   Kaiming-normal (fan_out) vs Kaiming-normal with the last BatchNorm of every block zeroed
   (Goyal et al. 2017), the residual stream measured at every block's output;
2. a small nanoGPT-style GPT (12 blocks): N(0, 0.02) everywhere vs the residual projections
   (`c_proj`) at 0.02/sqrt(2L) (GPT-2; nanoGPT `model.py` `_init_weights`), the residual
   stream's growth over the blocks.

Usage: python scripts/probe_examples.py [--html DIR]   (CPU, a few seconds)
"""

import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import nninit.torch as nt


# ---------------------------------------------------------------------- ResNet-style CNN
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + idt)


class ResNet(nn.Module):
    def __init__(self, widths=(16, 32, 64), blocks=2, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            layers.append(nn.Sequential(*[BasicBlock(cin if j == 0 else w, w, 2 if (j == 0 and i > 0) else 1)
                                          for j in range(blocks)]))
            cin = w
        self.layer1, self.layer2, self.layer3 = layers
        self.fc = nn.Linear(widths[-1], classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(x.mean((2, 3)))


# ---------------------------------------------------------------------- nanoGPT-style GPT
class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.heads = heads

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.c_fc = nn.Linear(d, 4 * d)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * d, d)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(d), Attention(d, heads)
        self.ln_2, self.mlp = nn.LayerNorm(d), MLP(d)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab=256, ctx=64, d=128, layers=12, heads=4):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, d), wpe=nn.Embedding(ctx, d),
            h=nn.ModuleList(Block(d, heads) for _ in range(layers)), ln_f=nn.LayerNorm(d)))
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as nanoGPT

    def forward(self, idx):
        t = self.transformer
        x = t.wte(idx) + t.wpe(torch.arange(idx.shape[1]))
        for b in t.h:
            x = b(x)
        return self.lm_head(t.ln_f(x))


def resnet_report():
    """1. ResNet-style CNN on a batch of 16 random 3x16x16 images (torch seed 0)."""
    torch.manual_seed(0)
    resnet = ResNet()
    images = torch.randn(16, 3, 16, 16)
    labels = torch.randint(0, 10, (16,))
    kaiming = "kaiming_normal:mode=fan_out,nonlinearity=relu"
    return nt.probe(resnet, images, seed=0, loss_fn=lambda out: F.cross_entropy(out, labels), inits={
        "pytorch-default": "as-is",
        "kaiming": kaiming,  # 1-d weights (BatchNorm) ones, biases zeros
        "kaiming+zero-bn2": [("*bn2.weight", "zeros"), ("*bn1.weight", "ones"), ("stem.1.weight", "ones"),
                             ("*downsample.1.weight", "ones"), ("*.bias", "zeros"), ("*", kaiming)],
    })


def gpt_report(L=12):
    """2. nanoGPT-style GPT, L blocks, 8 sequences of 64 random tokens (after the ResNet's
    draws: the README's numbers are those of ``main``)."""
    gpt = GPT(layers=L)
    idx = torch.randint(0, 256, (8, 64))
    rules = [("*ln_*.weight", "ones"), ("*.bias", "zeros")]
    return nt.probe(gpt, idx, seed=0,
                    loss_fn=lambda logits: F.cross_entropy(logits[:, :-1].reshape(-1, 256), idx[:, 1:].reshape(-1)),
                    inits={
                        "N(0,0.02) everywhere": rules + [("*", "normal:0.02")],
                        "c_proj 0.02/sqrt(2L)": rules + [("*c_proj.weight", f"normal:{0.02 / math.sqrt(2 * L)}"),
                                                         ("*", "normal:0.02")],
                    })


def tables():
    """The two reports and the tables ``main`` prints."""
    rep = resnet_report()
    rep2 = gpt_report()
    return rep, rep2, (rep.table(stats=("std", "correlation", "grad_std"), blocks_only=True),
                       rep2.table(stats=("std",), blocks_only=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--html", help="also write resnet.html and gpt.html into this directory")
    args = ap.parse_args()
    rep, rep2, (t1, t2) = tables()
    print(t1)
    print(t2)
    if args.html:
        os.makedirs(args.html, exist_ok=True)
        rep.html(os.path.join(args.html, "resnet.html"))
        rep2.html(os.path.join(args.html, "gpt.html"))


if __name__ == "__main__":
    main()
