#!/usr/bin/env python3
"""Crash suite: a batch drained by a runner that is killed again and again.

    chaos.py BUILD/reelq SOURCE_DIR [--kills N] [--jobs N] [--seed S] [--signals kill,term,int]

A batch of --jobs jobs runs against `reelq sim` with faults (5xx pages, connections dropped before
and after a task is created, slow answers, truncated downloads). The runner is stopped at random
moments with the signals given (round robin) and resumed, --kills times; then it runs to the end.
After every stop the database passes PRAGMA integrity_check. At the end, from the simulator's
stats and ledger and reelq's database and files:
  - every job is in an end state; every succeeded take's file is on disk with its recorded SHA-256;
  - no job has more tasks than its takes, except takes reelq flagged as possible duplicate charges;
  - no taskId the API handed out is missing from the database, except for submits reelq recorded
    as ambiguous (the kill fell between the answer and its commit);
  - the simulator answered no 429 for a cap exceeded, across every restart;
  - no temporary download file is left behind;
  - the API key appears nowhere: not in the database (and its WAL), the output files, anything
    reelq printed, nor any process's command line while it ran.
`make test` runs a short form (20 stops); `make chaos` a long one (100), with a fresh seed. The seed
is printed first, so a failure can be replayed with --seed.
"""
import argparse
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

KEY = "sk-chaos-7f3a9c1e5b-do-not-leak"  # unique, so a hit can only be a leak
SCALE = "0.02"  # a 3-minute render takes about 3.6 s: the batch outlasts the stops
SIGNALS = {"kill": signal.SIGKILL, "term": signal.SIGTERM, "int": signal.SIGINT}


def manifest(jobs):
    sizes = ["1280*720", "720*1280", "1792*1024"]
    lines = ["batch: chaos", "jobs:"]
    for i in range(jobs):
        lines += [f"  - id: c{i:03d}", f'    prompt: "chaos scene {i}"', f"    size: {sizes[i % 3]}",
                  f"    duration: {[4, 8, 12][i % 3]}"]
        if i % 15 == 0:
            lines.append("    takes: 2")
    return "\n".join(lines) + "\n"


class Sim:
    def __init__(self, reelq, workdir, seed):
        port_file = os.path.join(workdir, "sim.port")
        self.ledger = os.path.join(workdir, "sim-ledger.jsonl")
        self.proc = subprocess.Popen(
            [reelq, "sim", "--port", "0", "--port-file", port_file, "--time-scale", SCALE, "--seed", str(seed),
             "--fault-5xx", "0.03", "--fault-drop-before", "0.02", "--fault-drop-after", "0.02", "--fault-slow",
             "0.01", "--slow-seconds", "0.3", "--fault-truncate", "0.05", "--ledger", self.ledger, "--keys", KEY],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.02)
        self.base = "http://127.0.0.1:" + open(port_file).read().strip()

    def stats(self):
        return json.load(urllib.request.urlopen(self.base + "/__sim/stats", timeout=10))

    def created_task_ids(self):
        ids = set()
        with open(self.ledger) as f:
            for line in f:
                e = json.loads(line)
                if e["path"].startswith("/api/v1/generateTask/") and e["task_id"]:
                    ids.add(e["task_id"])
        return ids

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reelq")
    ap.add_argument("source", nargs="?", default=".")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--signals", default="kill,term,int")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1 << 31)
    print(f"chaos: seed {seed} (replay with --seed {seed}), {args.jobs} jobs, {args.kills} stops "
          f"({args.signals})", flush=True)
    rng = random.Random(seed)
    reelq = os.path.abspath(args.reelq)
    signals = [SIGNALS[s] for s in args.signals.split(",")]
    with tempfile.TemporaryDirectory(prefix="reelq-chaos-") as work:
        sim = Sim(reelq, work, seed)
        try:
            figures = run(reelq, sim, work, args, rng, signals)
        except AssertionError as e:
            print(f"chaos: FAILED with seed {seed}: {e}", flush=True)
            return 1
        finally:
            sim.close()
    print("chaos: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    print(f"chaos: ok (seed {seed})")
    return 0


def runner(reelq, sim, work, first, n):
    env = dict(os.environ, APIXO_API_KEY=KEY)
    cmd = ["run", "m.yaml"] if first else ["resume", "--batch", "chaos"]
    # Everything reelq prints is kept, at the most talkative setting, for the secrets sweep.
    out = open(os.path.join(work, "logs", f"run-{n:03d}.out"), "w")
    return subprocess.Popen([reelq, *cmd, "--db", "q.db", "--api-base", sim.base, "--time-scale", SCALE,
                             "--max-attempts", "30", "--log-json"], cwd=work, env=env,
                            stdout=out, stderr=subprocess.PIPE, text=True)


def command_lines_with_key(sim_pid):
    """How many reelq runners' command lines hold the key right now (it must travel by environment).
    The simulator is told its keys on its command line, so it is left out."""
    hits = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != sim_pid:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    hits += KEY.encode() in f.read()
            except OSError:
                pass
    return hits


def files_with_key(work):
    hits = []
    for root, _, names in os.walk(work):
        for name in names:
            path = os.path.join(root, name)
            if path.startswith(os.path.join(work, "sim")):
                continue  # the simulator's own files: it is given the key to accept
            with open(path, "rb") as f:
                if KEY.encode() in f.read():
                    hits.append(os.path.relpath(path, work))
    return hits


def check_integrity(work):
    db = sqlite3.connect(os.path.join(work, "q.db"))
    try:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    assert result == "ok", f"integrity_check after a stop: {result}"


def run(reelq, sim, work, args, rng, signals):
    with open(os.path.join(work, "m.yaml"), "w") as f:
        f.write(manifest(args.jobs))
    started = time.monotonic()
    stops = {s.name: 0 for s in signals}
    finished_early = 0
    os.makedirs(os.path.join(work, "logs"))
    cmdline_hits = 0
    for i in range(args.kills):
        p = runner(reelq, sim, work, first=(i == 0), n=i)
        time.sleep(rng.uniform(0.1, 0.7))
        cmdline_hits += command_lines_with_key(sim.proc.pid)
        sig = signals[i % len(signals)]
        if p.poll() is None:
            p.send_signal(sig)
            stops[sig.name] += 1
        else:
            finished_early += 1
        _, err = p.communicate(timeout=30)
        with open(os.path.join(work, "logs", f"run-{i:03d}.err"), "w") as f:
            f.write(err)
        # -15 / -2: the signal came before reelq had installed its handlers (the first
        # milliseconds of the process), when nothing can have been written or sent yet.
        assert p.returncode in (0, 1, 3, -9, -15, -2), f"stop {i + 1} ({sig.name}): exit {p.returncode}: {err[-500:]}"
        check_integrity(work)
    p = runner(reelq, sim, work, first=False, n=args.kills)
    _, err = p.communicate(timeout=600)
    with open(os.path.join(work, "logs", "final.err"), "w") as f:
        f.write(err)
    assert p.returncode in (0, 1), f"the final resume exited {p.returncode}: {err[-800:]}"
    check_integrity(work)
    figures = verify(sim, work, stops, finished_early, time.monotonic() - started)
    leaks = files_with_key(work)
    assert not leaks and cmdline_hits == 0, f"the key leaked: {leaks}, {cmdline_hits} command lines"
    figures["key leaks"] = f"0 (database, WAL, files, {args.kills + 1} runs' output, command lines)"
    return figures


def verify(sim, work, stops, finished_early, elapsed):
    db = sqlite3.connect(os.path.join(work, "q.db"))
    states = dict(db.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
    open_states = {s: n for s, n in states.items() if s not in ("succeeded", "failed", "cancelled")}
    assert not open_states, f"jobs left open: {open_states}"
    out_dir = db.execute("SELECT output_dir FROM batches WHERE name = 'chaos'").fetchone()[0]
    files = db.execute("SELECT coalesce(f.dir, ?), f.path, f.sha256 FROM files f JOIN jobs j ON f.job = j.id "
                       "WHERE j.state = 'succeeded'", (out_dir,)).fetchall()
    succeeded = states.get("succeeded", 0)
    assert len(files) == succeeded, f"{succeeded} succeeded takes but {len(files)} files recorded"
    for folder, path, sha in files:
        with open(os.path.join(folder, path), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == sha, f"{path}: bytes differ from the recorded SHA-256"
    leftovers = [n for n in os.listdir(out_dir) if n.endswith(".part") or n.endswith(".tmp")]
    assert not leftovers, f"temporary files left: {leftovers}"
    stats = sim.stats()
    assert stats["rate_limited_sent"] == 0, f"{stats['rate_limited_sent']} answers 429 for a cap exceeded"
    assert stats["max_concurrent_tasks"] <= stats["concurrency"]
    # Each submit whose fate was unknown (no answer, or found mid-submit after a kill) may have made
    # one task more; the take is flagged, and the event says how many times.
    takes, flagged = {}, {}
    for input_json, n in db.execute("SELECT input_json, count(*) FROM jobs GROUP BY input_json"):
        key = json.dumps(json.loads(input_json), sort_keys=True)
        takes[key], flagged[key] = n, 0
    for input_json, n in db.execute("SELECT j.input_json, count(*) FROM events e JOIN jobs j ON e.job = j.id "
                                    "WHERE e.outcome = 'ambiguous' AND j.ambiguous = 1 GROUP BY j.input_json"):
        flagged[json.dumps(json.loads(input_json), sort_keys=True)] = n
    duplicates = 0
    for entry in stats["tasks_by_input"]:
        key = json.dumps(json.loads(entry["input"]), sort_keys=True)
        assert entry["tasks"] <= takes[key] + flagged[key], f"{entry['tasks']} tasks for {key}, not flagged"
        duplicates += entry["tasks"] - takes[key] if entry["tasks"] > takes[key] else 0
    known = {t for (t,) in db.execute("SELECT task_id FROM events WHERE task_id IS NOT NULL "
                                      "UNION SELECT task_id FROM jobs WHERE task_id IS NOT NULL")}
    ambiguous = db.execute("SELECT count(*) FROM events WHERE outcome = 'ambiguous'").fetchone()[0]
    unknown = sim.created_task_ids() - known
    assert len(unknown) <= ambiguous, f"taskIds lost: {sorted(unknown)[:5]} ({ambiguous} ambiguous submits)"
    outcomes = {}
    for endpoint, by_outcome in stats["requests"].items():
        for outcome, n in by_outcome.items():
            if outcome.startswith("fault_"):
                outcomes[outcome[6:]] = outcomes.get(outcome[6:], 0) + n
    return {
        "stops": sum(stops.values()), "by signal": stops, "ended before its stop": finished_early,
        "jobs": f"{succeeded} succeeded, {states.get('failed', 0)} failed",
        "tasks created": stats["tasks_created"], "possible duplicates (flagged)": duplicates,
        "taskIds unknown to reelq": f"{len(unknown)} (all after ambiguous submits)",
        "faults injected": outcomes, "429 for caps": 0, "wall time": f"{elapsed:.0f} s",
    }


if __name__ == "__main__":
    sys.exit(main())
