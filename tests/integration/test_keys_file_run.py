"""Issue 20: `reelq run --keys FILE` (and REELQ_KEYS) drives the key a keys file names: the key's
name and fingerprint are recorded with each submit, the entry's caps are the key's own, the key never
appears in anything reelq wrote, and a file of several keys drives them as a pool.
Against `reelq sim` on 127.0.0.1 only."""
import os
import sqlite3

from harness import KEY, main, run
from simharness import SCALE, SimRunTest

MANIFEST = """batch: night
defaults: {duration: 4, size: 1280*720}
jobs:
  - id: a
    prompt: "one"
  - id: b
    prompt: "two"
  - id: c
    prompt: "three"
"""


class KeysFileRun(SimRunTest):
    def run_with(self, *args, env=None):
        return run("run", "m.yaml", "--db", "q.db", "--api-base", self.sim.base, "--time-scale", SCALE, *args,
                   cwd=self.dir, env=env or {})

    def test_the_key_named_by_the_file_is_driven_with_its_own_caps(self):
        self.start_sim("--keys", f"studio:{KEY}:60:2")  # a key with 2 slots
        self.write("m.yaml", MANIFEST)
        self.write("keys.yaml", "keys:\n  - {name: studio-a, env: STUDIO_KEY, max_concurrent: 2}\n")
        os.chmod(os.path.join(self.dir, "keys.yaml"), 0o600)
        # The hook's environment never holds the key, whatever variable the keys file names.
        r = self.run_with("--keys", "keys.yaml", "--on-finish", "env > hook-env.txt", env={"STUDIO_KEY": KEY})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("3 succeeded", r.stdout)
        with open(os.path.join(self.dir, "hook-env.txt"), encoding="utf-8") as f:
            hook_env = f.read()
        self.assertIn("REELQ_", hook_env)  # the hook ran, with the summary
        self.assertNotIn(KEY, hook_env)
        self.assertNotIn("STUDIO_KEY=", hook_env)
        stats = self.sim.stats()["keys"]["studio"]
        self.assertEqual(stats["concurrency_429"], 0)  # the file's cap of 2, not the default 10
        self.assertLessEqual(stats["most_running"], 2)
        with sqlite3.connect(os.path.join(self.dir, "q.db")) as db:
            keys = db.execute("SELECT DISTINCT key_name, length(key_fp) FROM jobs").fetchall()
        self.assertEqual(keys, [("studio-a", 12)])

    def test_reelq_keys_in_the_environment_and_the_refusals(self):
        self.start_sim()
        self.write("m.yaml", MANIFEST)
        self.write("keys.yaml", "keys:\n  - {name: one, env: K1}\n  - {name: two, env: K2}\n")
        # Two keys: a pool (tests/integration/test_key_pool.py); the simulator knows only the first,
        # so the second is refused and left out, and the run goes on with the first.
        r = self.run_with(env={"REELQ_KEYS": "keys.yaml", "K1": KEY, "K2": KEY + "-2"})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("key two refused by the API (HTTP 401)", r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], 3)
        self.write("keys.yaml", "keys:\n  - {name: one, env: K1, max_concurent: 3}\n")
        r = self.run_with(env={"REELQ_KEYS": "keys.yaml", "K1": KEY})
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertRegex(r.stderr, r"keys\.yaml:2:\d+: .*max_concurent")
        r = self.run_with("--keys", "keys.yaml", "--api-key-file", "k.txt", env={"K1": KEY})
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("either --keys (or REELQ_KEYS) or --api-key-file", r.stderr)

    def test_another_key_behind_the_same_name_is_refused_and_drop_key_gives_its_tasks_up(self):
        # A task left running by a killed run, made with key "studio-a" = KEY; the file now points
        # "studio-a" at another key.
        self.start_sim("--keys", f"{KEY},other-key")
        self.write("m.yaml", MANIFEST)
        self.write("keys.yaml", "keys:\n  - {name: studio-a, env: STUDIO_KEY}\n")
        r = self.run_with("--keys", "keys.yaml", env={"STUDIO_KEY": KEY})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with sqlite3.connect(os.path.join(self.dir, "q.db")) as db:
            db.execute("UPDATE jobs SET state = 'running', completed_at = NULL WHERE job_id = 'a'")
        r = run("resume", "--db", "q.db", "--api-base", self.sim.base, "--time-scale", SCALE, "--keys", "keys.yaml",
                cwd=self.dir, env={"STUDIO_KEY": "other-key"})
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn('made with key "studio-a"', r.stderr)
        self.assertIn('the name "studio-a" now points at another key', r.stderr)
        self.assertIn("--drop-key studio-a", r.stderr)
        before = self.sim.stats()["keys"]["key2"]["requests"]
        self.assertEqual(before, 0)  # nothing was sent with the other key
        r = run("resume", "--db", "q.db", "--api-base", self.sim.base, "--time-scale", SCALE, "--keys", "keys.yaml",
                "--drop-key", "studio-a", cwd=self.dir, env={"STUDIO_KEY": "other-key"})
        self.assertIn("gave up 1 task made with key studio-a (--drop-key)", r.stderr)
        self.assertEqual(self.sim.stats()["keys"]["key2"]["foreign_polls"], 0)
        with sqlite3.connect(os.path.join(self.dir, "q.db")) as db:
            self.assertEqual(db.execute("SELECT fail_code FROM jobs WHERE job_id = 'a'").fetchone(), ("KEY_DROPPED",))


if __name__ == "__main__":
    main()
