"""Starts `reelq sim` on a free port for a test and talks to it over HTTP (127.0.0.1 only)."""
import contextlib
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from harness import KEY, REELQ, TempDirTest, run


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


class Sim:
    def __init__(self, *args):
        self._dir = tempfile.TemporaryDirectory(prefix="reelq-sim-")
        port_file = os.path.join(self._dir.name, "port")
        if "--keys" not in args:
            args = ("--keys", KEY + ",sim-key", *args)  # sim-key: for tests written before the sweep
        port = () if "--port" in args else ("--port", "0")
        self.proc = subprocess.Popen([REELQ, "sim", *port, "--port-file", port_file, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while not _read(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("sim did not start: " + self.proc.stderr.read())
            time.sleep(0.02)
        self.port = int(_read(port_file))
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, key=KEY, raw=False):
        """Returns (http_status, body_text_or_json)."""
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if key is not None:
            req.add_header("Authorization", "Bearer " + key)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        if raw:
            return status, text
        text = text.decode()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def stats(self):
        return self.request("GET", "/__sim/stats", key=None)[1]

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._dir.cleanup()


SCALE = "0.005"  # a 3-minute render takes about 0.9 s; the rate window is 0.3 s


class SimRunTest(TempDirTest):
    """A temporary folder and a `reelq sim` per test; runs reelq against it with the queue q.db."""

    def setUp(self):
        super().setUp()
        self.sim = None

    def tearDown(self):
        if self.sim:
            self.sim.close()
        super().tearDown()

    def start_sim(self, *args):
        self.sim = Sim("--time-scale", SCALE, *args)
        return self.sim

    def reelq_run(self, *args, key=KEY, cmd="run", timeout=180):
        """`reelq run|resume ARGS` against the simulator, with the key in the environment."""
        return run(cmd, *args, "--db", "q.db", "--api-base", self.sim.base, "--time-scale", SCALE,
                   cwd=self.dir, env={"APIXO_API_KEY": key}, timeout=timeout)

    def reelq(self, *args, timeout=120):
        """Any other command on the same queue."""
        return run(*args, "--db", "q.db", cwd=self.dir, timeout=timeout)

    def spawn_run(self, manifest="m.yaml", *args, **popen):
        """Starts `reelq run` in the background against the simulator."""
        env = dict(os.environ, APIXO_API_KEY=KEY)
        proc = subprocess.Popen([REELQ, "run", manifest, "--db", "q.db", "--api-base", self.sim.base,
                                 "--time-scale", SCALE, *args], cwd=self.dir, env=env, **popen)
        # A test that fails before its run ends must not leave it running: it would hold the test
        # key's lease, and every later test of the file would wait for it and time out.
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        return proc

    def wait_for_tasks(self, proc, n, timeout=60):
        """Until the simulator has made `n` tasks, failing if `proc` (a background run) ends first.
        Tests wait on this rather than a fixed sleep: under the sanitizers reelq starts slowly."""
        deadline = time.monotonic() + timeout
        while self.sim.stats()["tasks_created"] < n:
            if proc.poll() is not None:
                self.fail(f"the run ended (exit {proc.returncode}) before the simulator had {n} tasks")
            if time.monotonic() > deadline:
                self.fail(f"the simulator had no {n} tasks after {timeout} s")
            time.sleep(0.02)

    def wait_for_stored_tasks(self, proc, n, timeout=60):
        """Until the queue holds `n` taskIds and no submit is waiting for its answer, failing if `proc`
        ends first. A kill -9 after `wait_for_tasks` alone may land between the simulator making a task
        and reelq storing its id (the window is wide under the sanitizers), leaving a submit of unknown
        fate that the test did not ask for."""
        deadline = time.monotonic() + timeout
        path = os.path.join(self.dir, "q.db")
        stored = submitting = 0
        while True:
            try:  # read-only: a connection that made q.db would race reelq's own creation of it
                with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                    stored, submitting = db.execute(
                        "SELECT count(task_id), count(*) FILTER (WHERE state = 'submitting') FROM jobs").fetchone()
            except sqlite3.OperationalError:
                pass  # not made yet, or its tables not yet
            if stored >= n and submitting == 0:
                return
            if proc.poll() is not None:
                self.fail(f"the run ended (exit {proc.returncode}) before the queue held {n} taskIds")
            if time.monotonic() > deadline:
                self.fail(f"the queue held {stored} taskIds ({submitting} submits unanswered) after {timeout} s")
            time.sleep(0.02)

    def db(self):
        return sqlite3.connect(os.path.join(self.dir, "q.db"))
