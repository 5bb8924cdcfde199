#!/usr/bin/env bash
# Regenerates the validation table of README.md: runs nmp for every row and prints the
# Markdown table on stdout (paste it over the table in README.md).
#
#   examples/validation/run.sh            # builds nmp (release) if needed, then runs
#   NMP=/path/to/nmp examples/validation/run.sh
#   KEEP=/tmp/validation examples/validation/run.sh   # also keep the JSON reports
#
# Runs one simulation at a time (about half a minute in all, in release mode).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
if [[ -z "${NMP:-}" ]]; then
    swift build -c release --product nmp >&2
    NMP="$root/.build/release/nmp"
fi
if [[ -n "${KEEP:-}" ]]; then   # KEEP=DIR keeps every nmp --json report there
    out="$KEEP"; mkdir -p "$out"
else
    out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
fi

model() {  # model NAME HF-CONFIG CONTEXT MACHINE TECH
    echo "nmp model: $1" >&2
    "$NMP" model --hf-config "$2" --context "$3" --config "$4" --tech "$5" --json > "$out/$1.json"
}
layer() {  # layer NAME N K MACHINE TECH
    echo "nmp layer: $1" >&2
    mkdir -p "$out/$1"
    python3 "$here/make_gemv.py" "$out/$1" "$2" "$3"
    "$NMP" layer --weights "$out/$1/W.npy" --weight-scale 1 --input "$out/$1/X.npy" \
        --output "$out/$1/Y.npy" --config "$4" --tech "$5" --json > "$out/$1.json"
}

v=examples/validation
model tellme    examples/bitnet_b1_58-large.config.json  1024 $v/tellme-kv260.json         7nm-lpddr
model tereffic  $v/mmfreelm-2.7B.config.json             1    $v/tereffic-u280-hbm.json    7nm-hbm2
model cpu       examples/bitnet-b1.58-2B-4T.config.json  128  $v/bitnet-cpu-i7-13800h.json 7nm-lpddr
model a100      examples/bitnet-b1.58-2B-4T.config.json  112  $v/a100-40gb.json           7nm-hbm2
layer k2560x6912 2560 6912 $v/a100-40gb.json 7nm-hbm2
layer k2560x2560 2560 2560 $v/a100-40gb.json 7nm-hbm2

python3 - "$out" <<'PY'
import json, sys

out = sys.argv[1]
def load(name):
    with open(f"{out}/{name}.json") as f:
        return json.load(f)

def gbs(cfg):
    return cfg["dramBytesPerCycle"] * cfg["clockGHz"]  # bytes per ns = GB/s

def fmt(x):
    if x >= 1000: return f"{x:,.0f}"
    if x >= 100: return f"{x:.0f}"
    if x >= 10: return f"{x:.1f}"
    return f"{x:.2f}"

# (key, system, model, reported value, unit, reported J/token or None, source, why)
# unit "tok/s": higher is better; unit "us": a kernel latency, lower is better.
rows = [
    ("tellme", "TeLLMe v1, AMD KV260", "BitNet b1.58 0.73B (assumed)", 9.0, "tok/s", 7 / 9,
     "arXiv 2504.16266 abstract", "[1]"),
    ("tellme", "TeLLMe v2, KV260", "BitNet b1.58 0.73B (assumed)", 25.0, "tok/s", 5 / 25,
     "arXiv 2510.15926v1 abstract", "[1]"),
    ("tereffic", "TerEffic v2, HBM-assisted (U280?)", "MatMul-free LM 2.7B (stand-in)", 727.0, "tok/s", 46 / 727,
     "arXiv 2502.16473v2 abstract", "[2]"),
    ("tereffic", "TerEffic v1, HBM-assisted", "MatMul-free LM 2.7B (stand-in)", 521.0, "tok/s", 33 / 521,
     "arXiv 2502.16473v1 abstract", "[2]"),
    ("cpu", "BitNet b1.58 2B4T on a CPU (bitnet.cpp)", "BitNet b1.58 2B-4T", 1000 / 29, "tok/s", 0.028,
     "arXiv 2504.12285, Table 1 (model card copy)", "[3]"),
    ("a100", "bitnet.cpp W2A8, A100 40GB, end to end", "BitNet b1.58 2B-4T", 32 / (221.08 - 112.22) * 1000, "tok/s", None,
     "microsoft/BitNet gpu/README.md (derived)", "[4]"),
    ("k2560x6912", "bitnet.cpp W2A8 kernel, A100 40GB", "GEMV 2560 x 6912", 14.49, "us", None,
     "microsoft/BitNet gpu/README.md", "[5]"),
    ("k2560x2560", "bitnet.cpp W2A8 kernel, A100 40GB", "GEMV 2560 x 2560", 13.32, "us", None,
     "microsoft/BitNet gpu/README.md", "[5]"),
]

print("| system | model | bandwidth | reported | source | nmp | nmp / reported | DRAM-bound ceiling | ceiling / reported | reported J/token | nmp J/token | notes |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for key, system, model, rep, unit, rep_j, src, why in rows:
    d = load(key)
    cfg = d["config"]
    bw = gbs(cfg)
    if unit == "tok/s":
        nmp = d["tokens_per_second"]
        dram = d["decode"]["dram_bytes_per_token"]
        ceiling = bw * 1e9 / dram
        ratio, cratio = nmp / rep, ceiling / rep
        nmp_s, ceil_s, rep_s = f"{fmt(nmp)} tok/s", f"{fmt(ceiling)} tok/s", f"{fmt(rep)} tok/s"
        nmp_j = f"{d['energy_pj_per_token'] / 1e12:.3f}"
    else:
        nmp_us = d["cycles"] / (cfg["clockGHz"] * 1e3)
        ceil_us = d["dram_bytes"] / (bw * 1e3)
        ratio, cratio = rep / nmp_us, rep / ceil_us   # speed ratios: > 1 means faster than reported
        nmp_s, ceil_s, rep_s = f"{nmp_us:.2f} us", f"{ceil_us:.2f} us", f"{rep:.2f} us"
        nmp_j = "-"
    rep_js = "-" if rep_j is None else f"{rep_j:.3f}"
    print(f"| {system} | {model} | {fmt(bw)} GB/s | {rep_s} | {src} | {nmp_s} | {ratio:.2f} | {ceil_s} | {cratio:.2f} | {rep_js} | {nmp_j} | {why} |")
PY
