"""validate / enqueue / status through the real binary."""
import json
import os
import sqlite3

from harness import SOURCE, TempDirTest, main, run

GOOD = """batch: night
jobs:
  - id: a
    prompt: "first"
  - id: b
    prompt: "second"
    takes: 2
"""


class QueueCli(TempDirTest):
    def test_validate_ok_and_every_problem_at_once(self):
        self.write("good.yaml", GOOD)
        self.write("bad.yaml", "batch: night\njobs:\n  - prompt: x\n    duration: 10\n  - promt: y\n")
        r = run("validate", "good.yaml", "bad.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "good.yaml: ok, batch 'night', 2 jobs, 3 renders\n")
        self.assertEqual(r.stderr,
                         "bad.yaml:4:15: duration must be 4, 8 or 12 (got 10)\n"
                         "bad.yaml:5:5: unknown key 'promt'; did you mean 'prompt'?\n"
                         "bad.yaml:5:5: job 'job-0002' has no prompt (and defaults give none)\n")

    def test_bad_manifest_writes_nothing(self):
        self.write("bad.yaml", "batch: night\njobs:\n  - prompt: x\n    duration: 10\n")
        r = run("enqueue", "bad.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "q.db")))

    def test_enqueue_is_idempotent_and_status_counts(self):
        self.write("m.yaml", GOOD)
        r1 = run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r1.returncode, 0, r1.stderr)
        db = os.path.join(self.dir, "q.db")
        self.assertEqual(r1.stdout, f"batch 'night': 3 added, 0 already in the queue ({db})\n")
        r2 = run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r2.stdout, f"batch 'night': 0 added, 3 already in the queue ({db})\n")
        s = run("status", "--db", "q.db", "--json", cwd=self.dir)
        self.assertEqual(s.returncode, 0, s.stderr)
        data = json.loads(s.stdout)
        self.assertEqual(data[0]["batch"], "night")
        self.assertEqual(data[0]["total"], 3)
        self.assertEqual(data[0]["states"]["queued"], 3)

    def test_changed_job_is_left_out_then_replaced(self):
        self.write("m.yaml", GOOD)
        run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.write("m.yaml", GOOD.replace('"second"', '"second, revised"') + '  - id: c\n    prompt: "third"\n')
        r = run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr, f"reelq: {self.dir}/m.yaml:5:5: job 'b' changed since it was enqueued (prompt "
                                   "differs) and was left out (2 queued takes not submitted); add --replace-changed "
                                   "to render the new spec in place of takes not yet rendered\n")
        self.assertIn("batch 'night': 1 added, 1 already in the queue", r.stdout)  # c went ahead
        r = run("enqueue", "m.yaml", "--db", "q.db", "--replace-changed", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        db = sqlite3.connect(os.path.join(self.dir, "q.db"))
        prompts = {row[0] for row in db.execute("SELECT input_json FROM jobs WHERE job_id = 'b'")}
        self.assertEqual(len(prompts), 1)
        self.assertIn("second, revised", prompts.pop())

    def test_status_without_database_says_so(self):
        r = run("status", "--db", "none.db", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"no queue database at {os.path.join(self.dir, 'none.db')}", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "none.db")))

    def test_usage_error_exits_2(self):
        r = run("enqueue", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        r = run("frobnicate", cwd=self.dir)
        self.assertEqual(r.returncode, 2)

    def test_example_manifests_validate(self):
        jobs = os.path.join(SOURCE, "jobs")
        files = sorted(os.path.join(jobs, f) for f in os.listdir(jobs) if f.endswith(".yaml"))
        r = run("validate", *files)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_mistyped_command_names_the_one_meant(self):
        r = run("stats", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("reelq: unknown command 'stats'; did you mean 'status'?\n"), r.stderr)
        self.assertEqual(os.listdir(self.dir), [])

    def test_a_folder_given_as_the_manifest_is_named_as_one(self):
        r = run("validate", self.dir, cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, f"{self.dir}: is a directory; give the manifest's file (FOLDER/NAME.yaml)\n")


if __name__ == "__main__":
    main()
