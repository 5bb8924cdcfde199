#!/usr/bin/env bash
# Builds the libFuzzer targets fuzz/bin/fuzz-asm, fuzz-image, fuzz-sim, fuzz-npy, fuzz-config
# fuzz-hfconfig, fuzz-weights, fuzz-safetensors, fuzz-gguf, fuzz-tokenizer, fuzz-sweep, fuzz-debug and fuzz-lineedit.
#
# SwiftPM is not used: each library module (NMPSupport, NMPTrits, NMPISA, NMPAssembler,
# NMPJSON, NMPSweep, NMPSimulator, NMPRuntime: every module before the modules that import it) is
# compiled by swiftc, whole-module, into one object file plus a .swiftmodule, with
# libFuzzer coverage and AddressSanitizer instrumentation; each entry file is then
# compiled and linked against those objects with -sanitize=fuzzer,address, which also
# links the libFuzzer driver (main) from the toolchain. lld links quietly (gold warns
# about every ASan helper symbol).
#
# usage: fuzz/build.sh
#   SWIFTC=...  another compiler
#   SRC=dir     build the libraries from another copy of Sources/ (e.g. with candidate fixes)
set -euo pipefail
cd "$(dirname "$0")/.."                        # repository root
SWIFTC=${SWIFTC:-swiftc}
SRC=${SRC:-Sources}
OUT=fuzz/bin
OBJ=fuzz/.build-fuzz                           # objects and .swiftmodules; ignored (.build-*/)
mkdir -p "$OUT" "$OBJ"
FLAGS=(-O -g -sanitize=fuzzer,address -swift-version 6 -parse-as-library -I "$OBJ")

# One module: every .swift under Sources/<name>/, recursively.
module() {
    local name=$1
    echo "compiling $name"
    find "$SRC/$name" -name '*.swift' -print0 | sort -z | xargs -0 \
        "$SWIFTC" "${FLAGS[@]}" -module-name "$name" -wmo -c -o "$OBJ/$name.o" \
        -emit-module -emit-module-path "$OBJ/$name.swiftmodule"
}
module NMPSupport                              # no dependencies; imported by NMPISA and up
module NMPTrits
module NMPISA
module NMPAssembler
module NMPJSON
module NMPSweep                                # imports NMPJSON and NMPSupport only
module NMPSimulator
module NMPRuntime                              # imports all of the above

# The objects each target links (every module it imports, directly or not).
SIM_OBJS=("$OBJ/NMPSupport.o" "$OBJ/NMPTrits.o" "$OBJ/NMPISA.o" "$OBJ/NMPJSON.o" "$OBJ/NMPSimulator.o")
ASM_OBJS=("$OBJ/NMPSupport.o" "$OBJ/NMPTrits.o" "$OBJ/NMPISA.o" "$OBJ/NMPAssembler.o")
RUNTIME_OBJS=("${SIM_OBJS[@]}" "$OBJ/NMPAssembler.o" "$OBJ/NMPRuntime.o")

# One fuzzer executable per entry file: target <entry> <binary> <other sources and objects...>
target() {
    local entry=$1 binary=$2                   # then the extra sources and objects
    shift 2
    echo "linking $OUT/$binary"
    "$SWIFTC" "${FLAGS[@]}" -use-ld=lld -module-name "${entry%.swift}" "fuzz/$entry" "$@" -o "$OUT/$binary"
}
target FuzzAssembler.swift fuzz-asm fuzz/FuzzRoundTrip.swift "${ASM_OBJS[@]}"
target FuzzImageLoader.swift fuzz-image fuzz/FuzzRoundTrip.swift "${ASM_OBJS[@]}"
# The simulator, machine-config and debug-command targets need neither the assembler nor the round trip.
target FuzzSimulator.swift fuzz-sim "${SIM_OBJS[@]}"
target FuzzMachineConfig.swift fuzz-config "${SIM_OBJS[@]}"
target FuzzDebugCommand.swift fuzz-debug "${SIM_OBJS[@]}"   # nmp debug's command parser
target FuzzLineEditor.swift fuzz-lineedit "${SIM_OBJS[@]}"   # nmp debug's keys at a terminal
target FuzzNPY.swift fuzz-npy "${RUNTIME_OBJS[@]}"
target FuzzModelConfig.swift fuzz-hfconfig "${RUNTIME_OBJS[@]}"
target FuzzDecoderWeights.swift fuzz-weights "${RUNTIME_OBJS[@]}"
target FuzzSafeTensors.swift fuzz-safetensors "${RUNTIME_OBJS[@]}"
target FuzzGGUF.swift fuzz-gguf "${RUNTIME_OBJS[@]}"
target FuzzTokenizer.swift fuzz-tokenizer "${RUNTIME_OBJS[@]}"
target FuzzSweepResume.swift fuzz-sweep "$OBJ/NMPSupport.o" "$OBJ/NMPJSON.o" "$OBJ/NMPSweep.o"
echo "built: $(ls "$OUT" | tr '\n' ' ')"
