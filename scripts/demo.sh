#!/usr/bin/env bash
# `make demo`: validates and enqueues jobs/demo.yaml into a throwaway database and shows the queue.
# (Once `reelq sim` and `reelq run` exist, this runs the whole batch against the simulator.)
set -euo pipefail
reelq=${1:-build/reelq}
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/build/demo"
rm -rf "$out" && mkdir -p "$out"

echo "== reelq validate jobs/demo.yaml"
"$reelq" validate "$here/jobs/demo.yaml"
echo "== reelq enqueue jobs/demo.yaml --db build/demo/reelq.db"
"$reelq" enqueue "$here/jobs/demo.yaml" --db "$out/reelq.db"
echo "== reelq status --db build/demo/reelq.db"
"$reelq" status --db "$out/reelq.db"
