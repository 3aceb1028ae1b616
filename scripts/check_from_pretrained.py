"""Checks that a checkpoint written by `nninit materialize` loads (issue #14):
every shard with `safetensors.torch.load_file`, the index against the shards, and the whole
directory with transformers' `AutoModelForCausalLM.from_pretrained` (no missing or unexpected
keys, values equal to the files').

    python scripts/check_from_pretrained.py CHECKPOINT_DIR

Exits non-zero on the first problem. Needs torch, transformers and safetensors (the bench venv
of scripts/bench_materialize.sh).
"""

import json
import os
import sys

import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def main() -> None:
    d = sys.argv[1]
    index = json.load(open(os.path.join(d, "model.safetensors.index.json")))
    files = sorted(set(index["weight_map"].values()))
    tensors = {}
    total = 0
    for f in files:
        part = load_file(os.path.join(d, f))
        for k, v in part.items():
            assert k not in tensors, f"{k} in two shards"
            assert index["weight_map"][k] == f, f"{k}: index says {index['weight_map'][k]}, found in {f}"
            tensors[k] = v
            total += v.numel() * v.element_size()
    assert set(tensors) == set(index["weight_map"]), "index and shards list different tensors"
    assert total == index["metadata"]["total_size"], (total, index["metadata"]["total_size"])
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    kw = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
    model, info = AutoModelForCausalLM.from_pretrained(d, output_loading_info=True, **{kw: "auto"})
    for key in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        assert not info.get(key), f"{key}: {info[key]}"
    state = model.state_dict()
    for k, v in tensors.items():
        assert torch.equal(state[k], v), f"{k} differs after from_pretrained"
    print(json.dumps({"shards": len(files), "tensors": len(tensors), "bytes": total,
                      "dtype": str(next(iter(tensors.values())).dtype),
                      "from_pretrained": "ok"}))


if __name__ == "__main__":
    main()
