#!/bin/sh
# Renders nmp's SVG figures to PNG so that a person can look at them as a browser would
# show them (a development check, not part of `swift test`).
#
#   examples/plots/render.sh [--regenerate] [OUTDIR]
#
# --regenerate first writes the committed examples again with the release build
# (`swift build -c release`): the 2B4T config, a decode token at context 1024 and a
# 128-token prefill. Every examples/plots/*.svg is then rendered to OUTDIR (default
# /tmp/nmp-plots) with rsvg-convert (Debian: apt-get install librsvg2-bin), or with
# headless Chromium when rsvg-convert is missing.
set -eu
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--regenerate" ]; then
    shift
    .build/release/nmp model --hf-config examples/bitnet-b1.58-2B-4T.config.json --prompt-tokens 128 \
        --plot examples/plots/bitnet-b1.58-2B-4T.svg --csv /tmp/bitnet-b1.58-2B-4T.csv > /tmp/bitnet-b1.58-2B-4T.txt
    echo "wrote examples/plots/bitnet-b1.58-2B-4T.svg (report in /tmp/bitnet-b1.58-2B-4T.txt, CSV in /tmp/bitnet-b1.58-2B-4T.csv)"
fi
out="${1:-/tmp/nmp-plots}"
mkdir -p "$out"
for svg in examples/plots/*.svg; do
    png="$out/$(basename "$svg" .svg).png"
    if command -v rsvg-convert > /dev/null; then
        rsvg-convert --background-color=white -o "$png" "$svg"
    elif command -v chromium > /dev/null; then
        width=$(sed -n 's/.*<svg[^>]* width="\([0-9.]*\)".*/\1/p' "$svg" | head -1)
        height=$(sed -n 's/.*<svg[^>]* height="\([0-9.]*\)".*/\1/p' "$svg" | head -1)
        chromium --headless --disable-gpu --no-sandbox --screenshot="$png" --window-size="${width%.*},${height%.*}" "file://$PWD/$svg"
    else
        echo "render.sh: neither rsvg-convert nor chromium is installed (apt-get install librsvg2-bin)" >&2
        exit 1
    fi
    echo "$png"
done
