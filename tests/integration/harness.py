"""Helpers for integration tests: each test file is run by ctest as
`python3 test_x.py BUILD/reelq SOURCE_DIR [TEST...]` and drives the real binary.

Every test ends with a secrets sweep (issue 11): the API keys the tests use must appear nowhere
reelq wrote. TempDirTest.tearDown searches every file under the test's folder (the queue database
and its WAL, results, reports, logs), everything `run()` captured from reelq, and the command
lines of reelq's processes (sampled every 50 ms while tests run) for each key in SECRETS. Files a
test wrote itself (a key file) are not reelq's and are skipped; the simulator's command line names
the keys it accepts and is skipped too. Failed runs are swept like the others."""
import atexit
import os
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

REELQ = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/reelq"
SOURCE = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else "."
# As for a user who installed it: `reelq` on PATH is the binary under test, so the commands reelq
# suggests read `reelq ...` (test_queue_cli.py runs it off PATH too, where they name its path).
os.environ["PATH"] = os.path.dirname(REELQ) + os.pathsep + os.environ.get("PATH", "")

# Key leases (one key, one driver on this machine: src/keys/key_lease.h) live in the user's state
# folder; each test file gets its own, so test files run side by side (ctest -j) never wait for
# each other's runs of the same test key.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="reelq-state-")
KEY = "sk-it-5d0c3e7a91-never-written"  # the tests' API key: unique, so any hit is a leak
SECRETS = {KEY}  # a test that uses another key adds it

_outputs = []  # stdout + stderr of every run() since the last sweep
_totals = {"tests": 0, "files": 0, "bytes": 0, "outputs": 0, "cmdline_samples": 0, "hits": 0}


def run(*args, cwd=None, env=None, timeout=120):
    """Runs reelq with args; returns CompletedProcess with text stdout/stderr."""
    full_env = dict(os.environ)
    full_env.pop("APIXO_API_KEY", None)
    if env:
        full_env.update(env)
    cp = subprocess.run([REELQ, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    _outputs.append(cp.stdout + cp.stderr)
    return cp


class _CmdlineWatch(threading.Thread):
    """Samples /proc/*/cmdline of reelq's processes, as another user of the machine could."""

    def __init__(self):
        super().__init__(daemon=True)
        self.hits = []
        self.samples = 0

    def run(self):
        while True:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        argv = f.read().split(b"\0")
                except OSError:
                    continue
                if not argv[0].endswith(b"reelq") or argv[1:2] == [b"sim"]:
                    continue
                self.samples += 1
                for secret in list(SECRETS):
                    if secret.encode() in b" ".join(argv):
                        self.hits.append(f"/proc/{pid}/cmdline: {b' '.join(argv)[:200]!r}")
            time.sleep(0.05)


_watch = _CmdlineWatch()
_watch.start()


def sweep(folder, outputs, skip=()):
    """Where any secret appears: files under `folder` (except `skip`), then captured outputs."""
    hits = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            try:
                if path in skip or not stat.S_ISREG(os.lstat(path).st_mode):
                    continue  # a link (its target is swept where it lives), a FIFO a test planted (would block)
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue  # a socket, a file gone meanwhile
            _totals["files"] += 1
            _totals["bytes"] += len(data)
            hits += [f"{path}: {s}" for s in SECRETS if s.encode() in data]
    for i, text in enumerate(outputs):
        _totals["outputs"] += 1
        hits += [f"output of run {i + 1}: {s}" for s in SECRETS if s in text]
    return hits


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="reelq-it-")
        self.dir = self._tmp.name
        self._written = set()
        _outputs.clear()

    def tearDown(self):
        hits = sweep(self.dir, list(_outputs), self._written) + _watch.hits
        _totals["tests"] += 1
        _totals["hits"] += len(hits)
        _outputs.clear()
        _watch.hits = []
        self._tmp.cleanup()
        self.assertEqual(hits, [], "an API key was written where reelq must never write it")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self._written.add(path)
        return path


def _print_sweep():
    if _totals["tests"]:
        _totals["cmdline_samples"] = _watch.samples
        print("secrets sweep: {tests} tests, {files} files ({bytes} bytes), {outputs} captured outputs, "
              "{cmdline_samples} command lines sampled: {hits} hits".format(**_totals), file=sys.stderr)


atexit.register(_print_sweep)


def main():
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])  # more arguments name tests to run
