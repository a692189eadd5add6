"""Issue 20: one run drives a pool of keys from a keys file. Each key keeps its own caps (0 429s of
either kind, never over its own slots), every task is polled only with the key that made it (the
simulator counts polls made with another key: 0), a key the API refuses leaves the pool without
stopping the run, and a kill -9 in the middle is resumed without paying twice. Against `reelq sim`
on 127.0.0.1 only."""
import os
import signal
import sqlite3
import subprocess
import time

import harness
from harness import REELQ, main, run
from simharness import SCALE, SimRunTest

KEYS = {  # name: (key, rpm, slots)
    "pro-a": ("sk-pool-a-4f1e9c2b7d-never-written", 60, 10),
    "pro-b": ("sk-pool-b-8a3d6e1f0c-never-written", 60, 10),
    "free": ("sk-pool-f-2c7b9a4e5d-never-written", 10, 3),
    "gone": ("sk-pool-g-6e0f3b8c1a-never-written", 60, 10),
}
harness.SECRETS.update(k for k, _, _ in KEYS.values())

KEYS_FILE = """keys:
  - {name: pro-a, env: POOL_A}
  - {name: pro-b, env: POOL_B}
  - {name: free, env: POOL_F, rpm: 10, max_concurrent: 3}
  - {name: gone, env: POOL_G}
"""
ENV = {"POOL_A": KEYS["pro-a"][0], "POOL_B": KEYS["pro-b"][0], "POOL_F": KEYS["free"][0],
       "POOL_G": KEYS["gone"][0]}


def manifest(n):
    jobs = "\n".join(f"  - id: shot-{i:02d}\n    prompt: \"shot {i}\"" for i in range(n))
    return f"batch: night\ndefaults: {{duration: 4, size: 1280*720}}\njobs:\n{jobs}\n"


class KeyPool(SimRunTest):
    def start_pool_sim(self):
        spec = ",".join(f"{name}:{key}:{rpm}:{slots}" for name, (key, rpm, slots) in KEYS.items())
        return self.start_sim("--keys", spec, "--revoked", "gone")

    def write_pool(self, jobs):
        self.write("m.yaml", manifest(jobs))
        self.write("keys.yaml", KEYS_FILE)
        os.chmod(os.path.join(self.dir, "keys.yaml"), 0o600)

    def args(self, *more):
        return ["--db", "q.db", "--api-base", self.sim.base, "--time-scale", SCALE, "--keys", "keys.yaml", *more]

    def assert_each_key_kept_its_caps(self):
        keys = self.sim.stats()["keys"]
        for name, (_, rpm, slots) in KEYS.items():
            k = keys[name]
            with self.subTest(key=name):
                self.assertEqual(k["rate_429"], 0)
                self.assertEqual(k["concurrency_429"], 0)
                self.assertEqual(k["foreign_polls"], 0)
                self.assertLessEqual(k["most_running"], slots)
                self.assertLessEqual(k["most_in_window"], rpm)
        self.assertEqual(keys["gone"]["tasks_created"], 0)
        return keys

    def test_a_pool_with_a_revoked_key_killed_and_resumed_renders_every_job_once_per_key(self):
        self.start_pool_sim()
        self.write_pool(60)
        env = dict(os.environ, **ENV)
        env.pop("APIXO_API_KEY", None)
        p = subprocess.Popen([REELQ, "run", "m.yaml", *self.args()], cwd=self.dir, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while self.sim.stats()["tasks_created"] < 25:
            self.assertIsNone(p.poll(), "the run ended before it could be killed")
            self.assertLess(time.monotonic(), deadline, "no progress")
            time.sleep(0.02)
        p.send_signal(signal.SIGKILL)
        out, err = p.communicate(timeout=30)
        self.assertIn("key gone refused by the API (HTTP 401)", err)
        self.assertIn("the other keys go on", err)
        self.assertRegex(out, r"a pool of keys \(requests per \S+, tasks at once\): pro-a \(60, 10\), pro-b \(60, 10\), "
                              r"free \(10, 3\); 23 tasks at once in all")

        r = run("resume", *self.args(), cwd=self.dir, env=ENV, timeout=180)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)
        self.assertIn("key gone refused", r.stderr)
        self.assertIn("60 succeeded, 0 failed", r.stdout)
        # The balance around the resume is the pool's (the usable keys' sum) before and after.
        self.assertRegex(r.stdout, r"balance: \$[\d,.]+ before the run, \$[\d,.]+ after")
        self.assertNotIn("more than reelq counts", r.stdout)
        # Spend per key, in the summary and in `batches` (the keys in name order).
        self.assertRegex(r.stdout, r"spent: .*; by key: free \$[\d.]+.*, pro-a \$[\d.]+.*, pro-b \$[\d.]+")
        b = run("batches", "--db", "q.db", cwd=self.dir)
        self.assertRegex(b.stdout, r"\n  by key: free \$[\d.]+.*, pro-a \$[\d.]+.*, pro-b \$[\d.]+")
        st = run("status", "--db", "q.db", cwd=self.dir)
        self.assertRegex(st.stdout, r"by key: free \$[\d.]+.*, pro-a \$[\d.]+.*, pro-b \$[\d.]+")
        keys = self.assert_each_key_kept_its_caps()
        created = sum(k["tasks_created"] for k in keys.values())
        with sqlite3.connect(os.path.join(self.dir, "q.db")) as db:
            ambiguous = db.execute("SELECT count(*) FROM jobs WHERE ambiguous = 1").fetchone()[0]
            by_key = dict(db.execute("SELECT key_name, count(*) FROM jobs GROUP BY key_name").fetchall())
        # A submit cut by the kill may or may not have made a task whose answer never came (flagged
        # ambiguous): only those can pay twice.
        self.assertGreaterEqual(created, 60)
        self.assertLessEqual(created, 60 + ambiguous)
        self.assertEqual(set(by_key), {"pro-a", "pro-b", "free"})  # every usable key took work
        self.assertGreater(by_key["pro-a"], 10)
        self.assertGreater(by_key["pro-b"], 10)

    def test_a_rehearsal_with_the_keys_file_rehearses_the_pool_with_no_key_set(self):
        self.write_pool(24)
        r = run("run", "--rehearse", "m.yaml", "--keys", "keys.yaml", "--time-scale", SCALE, cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)
        self.assertIn("24 succeeded", r.stdout)
        self.assertRegex(r.stdout, r"a pool of keys \(requests per \S+, tasks at once\): pro-a \(60, 10\), pro-b \(60, "
                                   r"10\), free \(10, 3\), gone \(60, 10\); 33 tasks at once in all")
        for name, cap in (("pro-a", 10), ("pro-b", 10), ("free", 3), ("gone", 10)):
            self.assertRegex(r.stdout, rf"key {name}: \d+ requests, 429s 0 rate / 0 tasks, .* at most \d+ at once "
                                       rf"\(cap {cap}\), \d+ tasks created, 0 polls with another key")

    def test_estimate_with_the_keys_file_gives_the_pools_slots_without_any_key_set(self):
        self.write_pool(60)
        r = run("estimate", "m.yaml", "--keys", "keys.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("keys: pro-a (10 at once, 60/min), pro-b (10 at once, 60/min), free (3 at once, 10/min), gone "
                      "(10 at once, 60/min); 33 at once in all", r.stdout)
        self.assertIn("33 at once; 120 requests at 190/min", r.stdout)
        alone = run("estimate", "m.yaml", cwd=self.dir)
        self.assertIn("10 at once; 120 requests at 60/min", alone.stdout)


if __name__ == "__main__":
    main()
