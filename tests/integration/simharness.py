"""Starts `reelq sim` on a free port for a test and talks to it over HTTP (127.0.0.1 only)."""
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from harness import REELQ


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
        self.proc = subprocess.Popen([REELQ, "sim", "--port", "0", "--port-file", port_file, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while not _read(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("sim did not start: " + self.proc.stderr.read())
            time.sleep(0.02)
        self.port = int(_read(port_file))
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, key="sim-key", raw=False):
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
