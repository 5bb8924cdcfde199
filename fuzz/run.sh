#!/usr/bin/env bash
# Runs one fuzz target for a while:
#   fuzz/run.sh <asm|image|sim|npy|config|hfconfig|weights|safetensors|gguf|tokenizer|sweep|debug|lineedit> <seconds> [libFuzzer options...]
#
# New inputs go to a scratch corpus, fuzz/artifacts/corpus-<target>/, which starts from the
# committed seeds in fuzz/corpus/<target>/ (only read, so the seeds stay small).
# Crashes, timeouts and OOMs are written to fuzz/artifacts/<target>/; the log to
# fuzz/artifacts/<target>.log. KEEP_GOING=1 runs in fork mode and carries on past crashes.
# Build first with fuzz/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."                                # repository root
usage="usage: fuzz/run.sh <asm|image|sim|npy|config|hfconfig|weights|safetensors|gguf|tokenizer|sweep|debug|lineedit> <seconds> [libFuzzer options...]"
target=${1:?$usage}
seconds=${2:?$usage}
shift 2
# The readers of small files (npy, config, hfconfig, ...) must not allocate anything large for a
# ~4 KB input: one malloc beyond 128 MB is reported as an OOM (a bug), like a timeout.
case $target in
    asm)      max_len=4096; extra=(-dict=fuzz/asm.dict) ;;
    image)    max_len=8192; extra=() ;;
    sim)      max_len=2048; extra=() ;;
    npy)      max_len=4096; extra=(-dict=fuzz/npy.dict -malloc_limit_mb=128) ;;
    config)   max_len=4096; extra=(-dict=fuzz/json.dict -malloc_limit_mb=128) ;;
    hfconfig) max_len=4096; extra=(-dict=fuzz/json.dict -malloc_limit_mb=128) ;;
    weights)  max_len=4096; extra=(-dict=fuzz/npy.dict -malloc_limit_mb=128) ;;
    safetensors) max_len=8192; extra=(-dict=fuzz/safetensors.dict -malloc_limit_mb=128) ;;
    gguf)     max_len=16384; extra=(-malloc_limit_mb=128) ;;
    tokenizer) max_len=16384; extra=(-dict=fuzz/tokenizer.dict -malloc_limit_mb=128) ;;
    sweep)    max_len=8192; extra=(-dict=fuzz/json.dict -malloc_limit_mb=128) ;;
    debug)    max_len=1024; extra=(-dict=fuzz/debug.dict -malloc_limit_mb=128) ;;
    lineedit) max_len=4096; extra=(-dict=fuzz/debug.dict -malloc_limit_mb=128) ;;
    *) echo "unknown target '$target' (asm, image, sim, npy, config, hfconfig, weights, safetensors, gguf, tokenizer, sweep, debug or lineedit)" >&2; exit 2 ;;
esac
[[ ${KEEP_GOING:-0} == 1 ]] && extra+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
work=fuzz/artifacts/corpus-$target
log=fuzz/artifacts/$target.log
mkdir -p "$work" "fuzz/artifacts/$target"
# Swift's own backtracer would catch the trap first (and trips ASan); let libFuzzer see it.
export SWIFT_BACKTRACE=enable=no
set +e
"fuzz/bin/fuzz-$target" "$work" "fuzz/corpus/$target" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1 "${extra[@]}" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "== fuzz-$target: exit $status after ${seconds}s budget; log $log"
grep -E '^#[0-9]+' "$log" | tail -1                  # last status line: cov, ft, corp, exec/s
grep -E '^(stat::|Done )' "$log" || true
ls "fuzz/artifacts/$target" | sed 's/^/artifact: /'
exit "$status"
