#!/usr/bin/env bash
# `make demo`: a real batch (jobs/demo.yaml) against reelq's built-in simulator of the apixo API.
# The simulator runs at time scale 0.01 (a 3-minute render takes about 2 s) on a free port, with
# the same caps as the real Pro plan; reelq runs at the same scale. Nothing leaves this machine.
set -euo pipefail
reelq=$(realpath "${1:-build/reelq}")
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/build/demo"
rm -rf "$out" && mkdir -p "$out"
cp "$here/jobs/demo.yaml" "$out/demo.yaml"
cd "$out"

"$reelq" sim --port 0 --port-file sim.port --time-scale 0.01 --violation-word graffiti \
  --ledger sim-ledger.jsonl > sim.log 2>&1 &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s sim.port ]] && break; sleep 0.05; done
[[ -s sim.port ]] || { echo "demo: the simulator did not start:"; cat sim.log; exit 1; }
port=$(cat sim.port)
echo "== reelq sim on 127.0.0.1:$port (time scale 0.01, 60 requests/minute, 10 tasks)"

# The simulator's key goes through the environment, as a real key must (never the command line).
export APIXO_API_KEY=sim-key
echo "== reelq run demo.yaml"
status=0
"$reelq" run demo.yaml --db reelq.db --api-base "http://127.0.0.1:$port" --time-scale 0.01 || status=$?

echo "== reelq status"
"$reelq" status --db reelq.db
echo "== what the simulator saw"
python3 - "$port" <<'PY'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/__sim/stats"))
print(f"  {s['total_requests']} requests, {s['rate_limited_sent']} answered 429, "
      f"at most {s['max_requests_in_window']} in any window (cap {s['rpm']}), "
      f"at most {s['max_concurrent_tasks']} tasks at once (cap {s['concurrency']}), {s['tasks_created']} tasks created")
PY
echo "== files in build/demo/renders/demo"
ls -l renders/demo
echo "== reelq report: CSV, JSON and an HTML page"
for f in csv json html; do "$reelq" report --db reelq.db -o "report.$f"; done
echo "-- report.csv, a few of its 22 columns:"
python3 - <<'PY'
import csv
with open("report.csv", newline="", encoding="utf-8") as f:
    for row in list(csv.DictReader(f))[:4]:
        print(f"  {row['job_id']:<16} {row['take']:>2} {row['state']:<10} {row['task_id']:<18} "
              f"{row['render_seconds']:>5}s {row['file']:<20} {row['bytes']:>6} {row['sha256'][:12]}...")
PY
echo "-- open $out/report.html in a browser"
# The run exits 1 because the 'subway' job fails, as planned (see jobs/demo.yaml); anything else
# failing is a real failure of the demo.
python3 - <<'PY'
import json, sys
jobs = json.load(open("report.json"))["batches"][0]["jobs"]
failed = sorted(j["job_id"] for j in jobs if j["state"] != "succeeded")
sys.exit(0 if failed == ["subway"] else f"demo: unexpected outcome, not succeeded: {failed}")
PY
[[ $status -eq 1 ]] || { echo "demo: reelq run exited $status, expected 1 (one planned failure)"; exit 1; }
