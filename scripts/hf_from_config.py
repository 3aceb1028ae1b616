"""Baseline of `nninit materialize` (BENCHMARKS.md, issue #14): build a model from its
config.json with transformers on the CPU, in bf16, and save it as safetensors shards.

    python scripts/hf_from_config.py CONFIG.json OUT_DIR

Prints the seconds of each step as JSON on stdout. Needs torch and transformers (the bench
venv of scripts/bench_materialize.sh, not the CI venv).
"""

import json
import sys
import time

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM


def main() -> None:
    config_path, out = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    with open(config_path) as f:
        fields = json.load(f)
    cfg = AutoConfig.for_model(fields.pop("model_type"), **fields)
    # transformers >= 4.56 names the argument `dtype` (`torch_dtype` before)
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    kw = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
    model = AutoModelForCausalLM.from_config(cfg, **{kw: torch.bfloat16})
    t1 = time.perf_counter()
    model.save_pretrained(out, safe_serialization=True, max_shard_size="5GB")
    t2 = time.perf_counter()
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"init_s": t1 - t0, "save_s": t2 - t1, "total_s": t2 - t0,
                      "params": params, "dtype": str(next(model.parameters()).dtype),
                      "torch": torch.__version__, "transformers": transformers.__version__}))


if __name__ == "__main__":
    main()
