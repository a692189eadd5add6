"""Issue 20: one key, one driver on this machine. Two batches from two folders (two queues) on one
key, started a few seconds apart: the second waits for the first's lease and says who holds it, then
runs; both are done in the same night and the API never refuses a submit for the task cap. A lease
file planted as a symbolic link is not written through. Against `reelq sim` on 127.0.0.1 only."""
import hashlib
import os
import sqlite3
import subprocess
import time

import harness
from harness import KEY, REELQ, main
from simharness import SCALE, SimRunTest


def manifest(batch, n):
    jobs = "\n".join(f"  - id: {batch}-{i:02d}\n    prompt: \"{batch} shot {i}\"" for i in range(n))
    return f"batch: {batch}\ndefaults: {{duration: 4, size: 1280*720}}\njobs:\n{jobs}\n"


def fingerprint(key):
    return hashlib.sha256(("reelq key fingerprint v1\n" + key).encode()).hexdigest()[:12]


class KeyLease(SimRunTest):
    def spawn(self, folder, *args, env=None):
        env = env or dict(os.environ, APIXO_API_KEY=KEY)
        return subprocess.Popen([REELQ, "run", "m.yaml", "--db", "q.db", "--api-base", self.sim.base,
                                 "--time-scale", SCALE, *args], cwd=os.path.join(self.dir, folder), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_for_tasks(self, proc, n):
        """Until the simulator has made `n` tasks, while `proc` still runs."""
        deadline = time.monotonic() + 60
        while self.sim.stats()["tasks_created"] < n:
            self.assertIsNone(proc.poll(), "the first run ended too soon")
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)

    def both_done(self, first, second):
        """Both runs' (stdout, stderr), once each has exited 0."""
        out_a, err_a = first.communicate(timeout=180)
        out_b, err_b = second.communicate(timeout=180)
        self.assertEqual(first.returncode, 0, out_a[-2000:] + err_a)
        self.assertEqual(second.returncode, 0, out_b[-2000:] + err_b)
        return (out_a, err_a), (out_b, err_b)

    def test_two_queues_on_one_key_take_turns_and_the_api_never_refuses_a_submit_for_the_task_cap(self):
        self.start_sim("--keys", f"studio:{KEY}:60:10")
        for folder, batch in (("a", "alpha"), ("b", "beta")):
            os.makedirs(os.path.join(self.dir, folder))
            self.write(os.path.join(folder, "m.yaml"), manifest(batch, 20))
        first = self.spawn("a")
        self.wait_for_tasks(first, 5)
        second = self.spawn("b")
        (out_a, _), (out_b, err_b) = self.both_done(first, second)
        self.assertIn("20 succeeded, 0 failed", out_a)
        self.assertIn("20 succeeded, 0 failed", out_b)
        queue_a = os.path.join(self.dir, "a", "q.db")
        self.assertIn(f"key default is driven by reelq pid {first.pid} for batch alpha of {queue_a}", err_b)
        self.assertIn("batch beta waits for it to finish", err_b)
        self.assertIn("free after", err_b)
        k = self.sim.stats()["keys"]["studio"]
        self.assertEqual(k["concurrency_429"], 0)
        self.assertEqual(k["rate_429"], 0)
        self.assertLessEqual(k["most_running"], 10)
        self.assertLessEqual(k["most_in_window"], 60)
        self.assertEqual(k["tasks_created"], 40)

    def test_a_pool_starts_with_its_free_keys_and_a_busy_key_joins_when_its_lease_frees(self):
        other = KEY + "-second"
        harness.SECRETS.add(other)
        self.start_sim("--keys", f"one:{KEY}:60:10,two:{other}:60:10")
        for folder, batch in (("a", "alpha"), ("b", "beta")):
            os.makedirs(os.path.join(self.dir, folder))
            self.write(os.path.join(folder, "m.yaml"), manifest(batch, 30 if batch == "beta" else 12))
        self.write(os.path.join("b", "keys.yaml"), "keys:\n  - {name: one, env: K1}\n  - {name: two, env: K2}\n")
        first = self.spawn("a")  # key one alone (APIXO_API_KEY)
        self.wait_for_tasks(first, 3)
        env = dict(os.environ, K1=KEY, K2=other)
        env.pop("APIXO_API_KEY", None)
        second = self.spawn("b", "--keys", "keys.yaml", env=env)
        _, (out_b, err_b) = self.both_done(first, second)
        self.assertIn("batch beta starts with the pool's other keys, and one joins when it is free", err_b)
        self.assertIn("key one is free now: it joins the pool", out_b)
        self.assertIn("30 succeeded, 0 failed", out_b)
        keys = self.sim.stats()["keys"]
        for name in ("one", "two"):
            self.assertEqual(keys[name]["concurrency_429"], 0, name)
            self.assertEqual(keys[name]["rate_429"], 0, name)
            self.assertLessEqual(keys[name]["most_running"], 10, name)
        with sqlite3.connect(os.path.join(self.dir, "b", "q.db")) as db:
            by_key = dict(db.execute("SELECT key_name, count(*) FROM jobs GROUP BY key_name").fetchall())
        self.assertGreater(by_key.get("two", 0), 0)  # started without waiting for one

    def test_a_lease_file_planted_as_a_link_is_not_written_through(self):
        self.start_sim()
        self.write("m.yaml", manifest("night", 3))
        folder = os.path.join(os.environ["XDG_STATE_HOME"], "reelq", "keys")
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(self.dir, "precious.txt")
        self.write("precious.txt", "keep me\n")
        link = os.path.join(folder, fingerprint(KEY) + ".lock")
        os.symlink(target, link)
        try:
            r = self.reelq_run("m.yaml")
        finally:
            os.unlink(link)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("the lease of key default could not be taken", r.stderr)
        self.assertIn("is a symbolic link; not opened", r.stderr)
        with open(target, encoding="utf-8") as f:
            self.assertEqual(f.read(), "keep me\n")


if __name__ == "__main__":
    main()
