#!/usr/bin/env python3
"""Crash suite: a batch drained by a runner that is killed again and again.

    chaos.py BUILD/reelq SOURCE_DIR [--kills N] [--jobs N] [--seed S] [--signals kill,term,int]
             [--mode poll|callback] [--scale F]

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
--mode callback runs the batch in callback mode, with the simulator's callback faults on too (lost,
late, doubled deliveries). The simulator calls back through a relay in this script (the batch's
--public-url, as a tunnel would be), which passes each callback to reelq's listener. Every other
stop is aimed: the relay sends SIGKILL the moment the listener has answered 200 to a callback and
before the simulator hears it, so the callback counts as delivered and will never come again; the
aim is at callbacks for tasks reelq has recorded as running, and the stop is counted as landing
"between arrival and confirmation" when the task's row was still `running` after the kill (its
status query not yet recorded). The other stops come at random moments.
`make test` runs a short form of each mode; `make chaos` a long one (100 stops each, at a slower
--scale), with a fresh seed. The seed is printed first with the line that replays it. The run ends with a
figures block (a Markdown table row for docs/reliability.md).
"""
import argparse
import hashlib
import http.client
import http.server
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

KEY = "sk-chaos-7f3a9c1e5b-do-not-leak"  # unique, so a hit can only be a leak
# Key leases (src/keys/key_lease.h) in a folder of this suite's own: the polling and callback
# suites run side by side under ctest with the same key, and must not wait for each other.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="reelq-chaos-state-")
# At 0.02 a 3-minute render takes about 3.6 s: the batch outlasts 20 stops. The long form (100
# stops) runs slower (`make chaos`: --scale 0.06 polling, 0.1 callback), or the batch would end
# before its stops do; the figures say how many stops were made of those asked.
SCALE = "0.02"
SIGNALS = {"kill": signal.SIGKILL, "term": signal.SIGTERM, "int": signal.SIGINT}
# Callback mode: deliveries lost, late (30-120 scaled s) and doubled, on top of the request faults.
CALLBACK_FAULTS = ("--fault-callback-lost", "0.05", "--fault-callback-late", "0.05", "--fault-callback-twice", "0.1")


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
    def __init__(self, reelq, workdir, seed, scale, extra=()):
        # A slow answer takes 0.3 real seconds whatever the scale (--slow-seconds is scaled).
        port_file = os.path.join(workdir, "sim.port")
        self.ledger = os.path.join(workdir, "sim-ledger.jsonl")
        self.scale = scale
        self.proc = subprocess.Popen(
            [reelq, "sim", "--port", "0", "--port-file", port_file, "--time-scale", scale, "--seed", str(seed),
             "--fault-5xx", "0.03", "--fault-drop-before", "0.02", "--fault-drop-after", "0.02", "--slow-rate",
             "0.01", "--slow-seconds", f"{0.3 / float(scale):g}", "--fault-truncate", "0.05", "--ledger", self.ledger,
             "--keys", KEY, *extra],
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """The batch's --public-url in callback mode, standing where a tunnel would: each callback the
    simulator delivers is passed to reelq's listener, and the listener's answer back. Armed with a
    runner, it stops that runner with SIGKILL the moment the listener has answered 200, before the
    simulator hears the answer: the callback is then delivered for good and never sent again, while
    the runner that took it is gone."""

    def __init__(self, listen_port, db_path):
        self.listen_port = listen_port
        self.db_path = db_path
        self.lock = threading.Lock()
        self.target = None
        self.fired = threading.Event()
        self.fired_task = None
        self.relayed = 0    # callbacks the listener answered (any status)
        self.refused = 0    # callbacks that found no listener (the runner was down): 502
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = relay.forward(self.path, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                # reelq's probe of its --public-url, passed on as a tunnel would.
                status, body = relay.fetch(self.path)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def arm(self, proc):
        with self.lock:
            self.fired.clear()
            self.fired_task = None
            self.target = proc

    def disarm(self):
        with self.lock:
            self.target = None

    def still_running(self, body):
        """Whether the callback's task is one reelq has recorded as running (its outcome not yet known)."""
        try:
            task_id = json.loads(body)["data"]["taskId"]
            db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
            try:
                return db.execute("SELECT 1 FROM jobs WHERE task_id = ? AND state = 'running'", (task_id,)).fetchone()
            finally:
                db.close()
        except (ValueError, KeyError, TypeError, sqlite3.Error):
            return False

    def fetch(self, path):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.listen_port, timeout=10)
            c.request("GET", path)
            r = c.getresponse()
            answer = (r.status, r.read())
            c.close()
            return answer
        except OSError:
            return 502, b""

    def forward(self, path, body):
        # Aimed stops go only at callbacks for a task still running: the ones whose loss would matter.
        aim = self.target is not None and self.still_running(body)
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.listen_port, timeout=10)
            c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            status = c.getresponse().status
            c.close()
        except OSError:
            with self.lock:
                self.refused += 1
            return 502  # as a tunnel whose far end is down: the simulator retries, then gives up
        with self.lock:
            self.relayed += 1
            if status == 200 and aim and self.target is not None:
                self.target.send_signal(signal.SIGKILL)
                self.target = None
                try:
                    self.fired_task = json.loads(body)["data"]["taskId"]
                except (ValueError, KeyError, TypeError):
                    self.fired_task = ""
                self.fired.set()
        return status

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reelq")
    ap.add_argument("source", nargs="?", default=".")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--signals", default="kill,term,int")
    ap.add_argument("--mode", choices=("poll", "callback"), default="poll")
    ap.add_argument("--scale", default=SCALE, help="the time scale of simulator and runner (slower: more stops fit)")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1 << 31)
    print(f"chaos: mode {args.mode}, seed {seed} (replay with --mode {args.mode} --kills {args.kills} --jobs "
          f"{args.jobs} --scale {args.scale} --seed {seed}), {args.jobs} jobs, "
          f"{args.kills} stops ({args.signals}{', every other one aimed at a callback' if args.mode == 'callback' else ''})",
          flush=True)
    rng = random.Random(seed)
    reelq = os.path.abspath(args.reelq)
    signals = [SIGNALS[s] for s in args.signals.split(",")]
    with tempfile.TemporaryDirectory(prefix="reelq-chaos-") as work:
        relay = None
        extra = ()
        if args.mode == "callback":
            extra = CALLBACK_FAULTS
            relay = Relay(free_port(), os.path.join(work, "q.db"))
        sim = Sim(reelq, work, seed, args.scale, extra)
        try:
            figures = run(reelq, sim, relay, work, args, rng, signals)
        except AssertionError as e:
            print(f"chaos: FAILED with mode {args.mode} scale {args.scale} seed {seed}: {e}", flush=True)
            return 1
        finally:
            sim.close()
            if relay:
                relay.close()
    print_figures(args.mode, seed, figures)
    print(f"chaos: ok (mode {args.mode}, seed {seed})")
    return 0


def print_figures(mode, seed, f):
    """The figures block: one line per figure, then the row docs/reliability.md's table takes."""
    print(f"chaos figures ({mode} mode, seed {seed}):")
    for k, v in f.items():
        if not k.startswith("_"):
            print(f"  {k + ':':<34} {v}")
    faults = ", ".join(f"{n} {k}" for k, n in f["_faults"].items() if n)
    row = [mode, str(seed), f"{f['_stops']} ({'/'.join(str(n) for n in f['_by_signal'].values())})",
           str(f["_aimed"]), str(f["_succeeded"]), str(f["tasks created"]), str(f["possible duplicates (flagged)"]),
           str(f["_unknown"]), faults, "0", "0", f"{f['_wall']:.0f} s"]
    print("  | mode | seed | stops (KILL/TERM/INT) | aimed at a callback (landed before its status) | renders succeeded "
          "| tasks created | possible duplicates | taskIds unknown | faults injected | 429 for caps | key hits "
          "| wall time |")
    print("  | " + " | ".join(row) + " |", flush=True)


def runner(reelq, sim, relay, work, first, n):
    env = dict(os.environ, APIXO_API_KEY=KEY)
    cmd = ["run", "m.yaml"] if first else ["resume", "--batch", "chaos"]
    if relay:
        cmd += ["--mode", "callback", "--listen", f"127.0.0.1:{relay.listen_port}", "--public-url",
                f"http://127.0.0.1:{relay.port}"]
    # Everything reelq prints is kept, at the most talkative setting, for the secrets sweep.
    out = open(os.path.join(work, "logs", f"run-{n:03d}.out"), "w")
    return subprocess.Popen([reelq, *cmd, "--db", "q.db", "--api-base", sim.base, "--time-scale", sim.scale,
                             "--max-attempts", "30", "--log-json"], cwd=work, env=env,
                            stdout=out, stderr=subprocess.PIPE, text=True)


def command_lines_with_key():
    """The processes whose command line holds the key right now (it must travel by environment), as
    "PID PROGRAM COMMAND". Simulators are told their keys on their command line, so every `reelq
    sim` is left out: this one, and those of other suites running beside this one with the same key."""
    hits = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if len(argv) > 1 and argv[1] == b"sim":
                continue
            if any(KEY.encode() in a for a in argv):
                hits.append(f"{pid} {os.path.basename(argv[0].decode(errors='replace'))} "
                            f"{argv[1].decode(errors='replace') if len(argv) > 1 else ''}")
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


def batch_enqueued(work):
    """Whether a run got as far as enqueuing the batch (a stop in its first moments may come before)."""
    if not os.path.exists(os.path.join(work, "q.db")):
        return False
    db = sqlite3.connect(os.path.join(work, "q.db"))
    try:
        return db.execute("SELECT count(*) FROM batches WHERE name = 'chaos'").fetchone()[0] > 0
    except sqlite3.Error:
        return False
    finally:
        db.close()


def job_state_of_task(work, task_id):
    db = sqlite3.connect(os.path.join(work, "q.db"))
    try:
        row = db.execute("SELECT state FROM jobs WHERE task_id = ?", (task_id,)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


def run(reelq, sim, relay, work, args, rng, signals):
    with open(os.path.join(work, "m.yaml"), "w") as f:
        f.write(manifest(args.jobs))
    started = time.monotonic()
    stops = {s.name: 0 for s in SIGNALS.values()}
    aimed = {"fired": 0, "before confirmation": 0}
    finished_early = 0
    os.makedirs(os.path.join(work, "logs"))
    cmdline_hits = []
    for i in range(args.kills):
        p = runner(reelq, sim, relay, work, first=not batch_enqueued(work), n=i)
        time.sleep(rng.uniform(0.1, 0.7))
        cmdline_hits += command_lines_with_key()
        sig = signals[i % len(signals)]
        fired_task = None
        if relay and i % 2 == 1 and p.poll() is None:
            # Aimed: SIGKILL as the listener answers the next callback (the relay sends it).
            relay.arm(p)
            if relay.fired.wait(timeout=3):
                fired_task = relay.fired_task
                sig = signal.SIGKILL
            relay.disarm()
        if fired_task is not None:
            stops[sig.name] += 1
            aimed["fired"] += 1
        elif p.poll() is None:
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
        if fired_task and job_state_of_task(work, fired_task) == "running":
            aimed["before confirmation"] += 1  # the callback was taken, its status not yet recorded
    p = runner(reelq, sim, relay, work, first=False, n=args.kills)
    _, err = p.communicate(timeout=600)
    with open(os.path.join(work, "logs", "final.err"), "w") as f:
        f.write(err)
    assert p.returncode in (0, 1), f"the final resume exited {p.returncode}: {err[-800:]}"
    check_integrity(work)
    figures = verify(sim, work, stops, finished_early, time.monotonic() - started)
    figures["stops"] = f"{figures['stops']} of {args.kills} (the batch ended before the other {finished_early})" \
        if finished_early else figures["stops"]
    leaks = files_with_key(work)
    assert not leaks and not cmdline_hits, f"the key leaked: {leaks}, command lines: {sorted(set(cmdline_hits))[:5]}"
    figures["key hits"] = f"0 (database, WAL, files, {args.kills + 1} runs' output, command lines)"
    if relay:
        cb = sim.stats()["callbacks"]
        figures["callbacks"] = (f"{cb['delivered']} delivered, {relay.refused} found the runner down, "
                                f"{cb['lost']} lost, {cb['late']} late, {cb['twice']} doubled")
        figures["stops aimed at a callback"] = (f"{aimed['fired']}, of which {aimed['before confirmation']} landed "
                                                "before its status was recorded")
        figures["_faults"].update({"callback lost": cb["lost"], "callback late": cb["late"],
                                   "callback doubled": cb["twice"]})
        figures["_aimed"] = f"{aimed['fired']} ({aimed['before confirmation']})"
    else:
        figures["_aimed"] = "-"
    figures["faults injected"] = ", ".join(f"{n} {k}" for k, n in figures["_faults"].items() if n)
    figures["wall time"] = f"{figures['_wall']:.0f} s"
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
    names = {"5xx": "5xx", "drop_before": "drops before", "drop_after": "drops after", "slow": "slow",
             "truncate": "truncated", "429": "429 bursts"}
    faults = {names.get(k, k): n for k, n in sorted(outcomes.items())}
    return {
        "stops": sum(stops.values()), "_stops": sum(stops.values()), "by signal": ", ".join(f"{k[3:]} {n}" for k, n in stops.items()),
        "renders succeeded": f"{succeeded} ({states.get('failed', 0)} failed)",
        "tasks created": stats["tasks_created"], "possible duplicates (flagged)": duplicates,
        "taskIds unknown to reelq": f"{len(unknown)} (all after ambiguous submits)",
        "429 for caps": 0,
        "_by_signal": {k[3:]: n for k, n in stops.items()}, "_succeeded": succeeded, "_unknown": len(unknown),
        "_faults": faults, "_wall": elapsed,
    }

if __name__ == "__main__":
    sys.exit(main())
