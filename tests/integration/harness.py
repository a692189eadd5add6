"""Helpers for integration tests: each test file is run by ctest as
`python3 test_x.py BUILD/reelq SOURCE_DIR` and drives the real binary."""
import os
import subprocess
import sys
import tempfile
import unittest

REELQ = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/reelq"
SOURCE = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else "."


def run(*args, cwd=None, env=None, timeout=120):
    """Runs reelq with args; returns CompletedProcess with text stdout/stderr."""
    full_env = dict(os.environ)
    full_env.pop("APIXO_API_KEY", None)
    if env:
        full_env.update(env)
    return subprocess.run([REELQ, *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="reelq-it-")
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path


def main():
    unittest.main(argv=[sys.argv[0], "-v"])
