#!/usr/bin/env bash
# Builds the libFuzzer targets fuzz/bin/fuzz-asm, fuzz/bin/fuzz-image and fuzz/bin/fuzz-sim.
#
# SwiftPM is not used: each library module (NMPTrits <- NMPISA <- NMPAssembler) is
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
module NMPTrits
module NMPISA
module NMPAssembler
module NMPJSON
module NMPSimulator

# One fuzzer executable per entry file.
target() {
    local entry=$1 binary=$2
    echo "linking $OUT/$binary"
    "$SWIFTC" "${FLAGS[@]}" -use-ld=lld -module-name "${entry%.swift}" "fuzz/$entry" fuzz/FuzzRoundTrip.swift \
        "$OBJ/NMPTrits.o" "$OBJ/NMPISA.o" "$OBJ/NMPAssembler.o" -o "$OUT/$binary"
}
# The simulator target needs neither the assembler nor the round-trip check.
echo "linking $OUT/fuzz-sim"
"$SWIFTC" "${FLAGS[@]}" -use-ld=lld -module-name FuzzSimulator fuzz/FuzzSimulator.swift \
    "$OBJ/NMPTrits.o" "$OBJ/NMPISA.o" "$OBJ/NMPJSON.o" "$OBJ/NMPSimulator.o" -o "$OUT/fuzz-sim"
target FuzzAssembler.swift fuzz-asm
target FuzzImageLoader.swift fuzz-image
echo "built: $(ls "$OUT" | tr '\n' ' ')"
