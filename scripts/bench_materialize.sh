#!/usr/bin/env bash
# Benchmarks of `nninit materialize` and `nninit audit` (BENCHMARKS.md, issue #14), in one run:
#   1. the disk's sequential write speed (dd, 8 GiB, fsync);
#   2. TinyLlama-1.1B in bf16: nninit vs transformers from_config + save_pretrained (CPU),
#      wall time and peak RSS (/usr/bin/time -v), and a from_pretrained check of nninit's output;
#   3. audit of the 1.1B checkpoint against its recipe (time, peak RSS);
#   4. Llama-3-8B in bf16: nninit alone, against the dd speed.
# Usage: scripts/bench_materialize.sh [WORKDIR]   (needs ~25 GB free in WORKDIR; removed after)
# Env: NNINIT (default target/release/nninit), BENCH_VENV (default ~/.cache/nninit/bench-venv,
# a venv with torch, transformers, safetensors: see BENCHMARKS.md), SKIP_HF=1, SKIP_8B=1.
set -euo pipefail
cd "$(dirname "$0")/.."
NNINIT=${NNINIT:-target/release/nninit}
V=${BENCH_VENV:-$HOME/.cache/nninit/bench-venv}
W=${1:-$(mktemp -d "${TMPDIR:-/tmp}/nninit-bench.XXXXXX")}
mkdir -p "$W"
trap 'rm -rf "$W"/tl-nninit "$W"/tl-hf "$W"/l3-nninit "$W"/dd.bin' EXIT
TL=testdata/configs/tinyllama-1.1b.json
L3=testdata/configs/llama-3-8b.json

peak() { awk -F': ' '/Maximum resident set size/ {printf "%.0f MiB", $2/1024}' "$1"; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1"; }

echo "== $(date -u +%FT%TZ) $(uname -m), $(nproc) cores, commit $(git rev-parse --short HEAD)"
echo "load: $(uptime)"

echo "== dd: 8 GiB of zeros, 64 MiB blocks, fsync"
dd if=/dev/zero of="$W/dd.bin" bs=64M count=128 conv=fsync 2>&1 | tail -1
rm -f "$W/dd.bin"

echo "== TinyLlama-1.1B, bf16, recipe llama: nninit"
/usr/bin/time -v "$NNINIT" materialize --config "$TL" --recipe llama --seed 0 --dtype bf16 \
  --out "$W/tl-nninit" 2> "$W/time-nninit.txt" || { cat "$W/time-nninit.txt"; exit 1; }
grep '^wrote' "$W/time-nninit.txt"
echo "wall $(wall "$W/time-nninit.txt"), peak RSS $(peak "$W/time-nninit.txt")"

if [ "${SKIP_HF:-0}" != 1 ]; then
  echo "== TinyLlama-1.1B, bf16: transformers from_config + save_pretrained (torch CPU)"
  /usr/bin/time -v "$V/bin/python" scripts/hf_from_config.py "$TL" "$W/tl-hf" 2> "$W/time-hf.txt" \
    || { cat "$W/time-hf.txt"; exit 1; }
  echo "wall $(wall "$W/time-hf.txt"), peak RSS $(peak "$W/time-hf.txt")"
  echo "== audit of transformers' checkpoint against the same recipe (its _init_weights is llama's)"
  "$NNINIT" audit "$W/tl-hf" --recipe llama --config "$TL" | tail -1 || true
  echo "== from_pretrained loads nninit's output"
  "$V/bin/python" scripts/check_from_pretrained.py "$W/tl-nninit"
fi

echo "== audit of the 1.1B checkpoint (recipe llama)"
/usr/bin/time -v "$NNINIT" audit "$W/tl-nninit" --recipe llama --config "$TL" > "$W/audit.txt" 2> "$W/time-audit.txt" \
  || { tail -5 "$W/audit.txt"; cat "$W/time-audit.txt"; exit 1; }
tail -1 "$W/audit.txt"
echo "wall $(wall "$W/time-audit.txt"), peak RSS $(peak "$W/time-audit.txt")"
rm -rf "$W/tl-nninit" "$W/tl-hf"

if [ "${SKIP_8B:-0}" != 1 ]; then
  echo "== Llama-3-8B, bf16, recipe llama: nninit"
  /usr/bin/time -v "$NNINIT" materialize --config "$L3" --recipe llama --seed 0 --dtype bf16 \
    --out "$W/l3-nninit" 2> "$W/time-l3.txt" || { cat "$W/time-l3.txt"; exit 1; }
  grep '^wrote' "$W/time-l3.txt"
  echo "wall $(wall "$W/time-l3.txt"), peak RSS $(peak "$W/time-l3.txt")"
  rm -rf "$W/l3-nninit"
fi
echo "load: $(uptime)"
