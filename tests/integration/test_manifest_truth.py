"""Issue 18, items 3, 4 and 6: `reelq run FILE` renders what FILE says. Jobs removed from FILE are
not submitted, a copy of a manifest that kept its `batch:` line is not merged into that batch
silently, and one changed job does not block the rest of the manifest. Against `reelq sim` on
127.0.0.1 only."""
import os
import shutil
import signal
import subprocess
import time

from harness import main, run
from simharness import SimRunTest


def manifest(batch, jobs, settings=""):
    """jobs: {id: prompt} or {id: (prompt, takes)}."""
    lines = [f"batch: {batch}", "defaults: {duration: 4, size: 1280*720}"]
    if settings:
        lines.append(f"settings: {settings}")
    lines.append("jobs:")
    for job_id, spec in jobs.items():
        prompt, takes = spec if isinstance(spec, tuple) else (spec, 1)
        lines += [f"  - id: {job_id}", f"    prompt: \"{prompt}\""]
        if takes != 1:
            lines.append(f"    takes: {takes}")
    return "\n".join(lines) + "\n"


class ManifestTruth(SimRunTest):
    def query(self, sql, *args):
        with self.db() as db:
            return db.execute(sql, args).fetchall()

    def wait_for(self, what, sql, at_least, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.query(sql)[0][0] >= at_least:
                    return
            except Exception:  # noqa: BLE001 - the run has not created its tables yet
                pass
            time.sleep(0.03)
        self.fail(f"timed out waiting for {what}")

    def tasks(self):
        return self.sim.stats()["tasks_created"]

    def rendered_prompts(self):
        return sorted(e["input"] for e in self.sim.stats()["tasks_by_input"])

    # Item 3: Ctrl-C with 4 jobs still queued, three of them deleted from the manifest, `run` again.
    def test_queued_jobs_removed_from_the_manifest_are_listed_and_not_submitted(self):
        self.start_sim("--mean-render", "600")  # 3 s renders at this scale: d10 is at the API at Ctrl-C
        jobs = {f"d{i}": f"shot {i}" for i in range(10, 15)}
        self.write("d.yaml", manifest("d", jobs, "{max_concurrent: 1}"))
        p = self.spawn_run("d.yaml", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for("the first task", "SELECT count(*) FROM jobs WHERE state = 'running'", 1)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 3, out + err)
        self.assertEqual(self.query("SELECT job_id FROM jobs WHERE state = 'queued' ORDER BY position"),
                         [("d11",), ("d12",), ("d13",), ("d14",)])

        # d10 (at the API) and d12, d13, d14 (queued) are deleted from the manifest.
        self.write("d.yaml", manifest("d", {"d11": "shot 11"}, "{max_concurrent: 1}"))
        r = self.reelq_run("d.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        db = os.path.join(self.dir, "q.db")
        self.assertIn("reelq: 3 queued jobs are no longer in d.yaml: d12, d13, d14; they were cancelled and will "
                      f"not be submitted. To render one anyway: reelq retry --db {db} --batch d --cancelled --job "
                      f"ID, then reelq resume --db {db} --batch d\n", r.stderr)
        # A task at the API is paid for: collected, never abandoned.
        self.assertIn("reelq: 1 job no longer in d.yaml is at the API already: d10; it is paid for, so its result "
                      "is collected\n", r.stderr)
        self.assertEqual(self.tasks(), 2)
        self.assertEqual(self.query("SELECT job_id, state, coalesce(note, '') FROM jobs ORDER BY position"),
                         [("d10", "succeeded", ""), ("d11", "succeeded", ""),
                          ("d12", "cancelled", "no longer in d.yaml"), ("d13", "cancelled", "no longer in d.yaml"),
                          ("d14", "cancelled", "no longer in d.yaml")])
        self.assertTrue(os.path.exists(os.path.join(self.dir, "renders", "d", "d10-t1.mp4")))

        # The way back the message gives works.
        r = self.reelq("retry", "--batch", "d", "--cancelled", "--job", "d12")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.reelq_run("--batch", "d", cmd="resume")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.tasks(), 3)
        self.assertEqual(self.query("SELECT state FROM jobs WHERE job_id = 'd12'"), [("succeeded",)])

    def test_keep_removed_renders_them_as_before_and_says_so(self):
        self.start_sim()
        self.write("d.yaml", manifest("d", {"a": "one", "b": "two", "c": "three"}))
        self.assertEqual(self.reelq("enqueue", "d.yaml").returncode, 0)
        self.write("d.yaml", manifest("d", {"a": "one"}))
        r = self.reelq_run("d.yaml", "--keep-removed")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("reelq: 2 queued jobs are no longer in d.yaml: b, c; --keep-removed: they stay queued and are "
                      "rendered\n", r.stderr)
        self.assertEqual(self.tasks(), 3)

    # Item 4: a copy of social.yaml saved as social-copy.yaml with the same batch: line.
    def test_a_copy_with_the_same_batch_name_is_refused_naming_the_batchs_manifest(self):
        self.start_sim()
        self.write("social.yaml", manifest("social", {"s1": "one", "s2": "two"}))
        r = self.reelq_run("social.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.write("social-copy.yaml", manifest("social", {"s1": "one", "s3": "three"}))
        own, copy = os.path.join(self.dir, "social.yaml"), os.path.join(self.dir, "social-copy.yaml")
        refusal = (f"reelq: batch 'social' was created from {own}, not from {copy}; nothing was enqueued. Give "
                   f"{copy} a batch name of its own (its batch: line; its jobs are then new jobs, rendered and paid for "
                   "again), or add --into-batch to add its jobs to batch 'social' on purpose (jobs the batch rendered "
                   "already are not rendered again)\n")
        r = self.reelq_run("social-copy.yaml")
        self.assertEqual((r.returncode, r.stderr), (2, refusal))
        r = self.reelq("enqueue", "social-copy.yaml")
        self.assertEqual((r.returncode, r.stderr), (2, refusal))
        self.assertEqual(self.tasks(), 2)
        self.assertEqual(self.query("SELECT manifest_path FROM batches"), [(own,)])
        self.assertEqual(self.query("SELECT count(*) FROM jobs"), [(2,)])

        # --into-batch means it: the copy's new job joins, the batch keeps its own manifest.
        r = self.reelq_run("social-copy.yaml", "--into-batch")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.tasks(), 3)
        self.assertEqual(self.query("SELECT manifest_path FROM batches"), [(own,)])
        # ... and the batch's own manifest does not take the joined job for one it removed.
        r = self.reelq_run("social.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("no longer in", r.stderr)

    def test_the_batchs_own_manifest_in_a_moved_folder_is_not_another_file(self):
        os.makedirs(os.path.join(self.dir, "night"))
        self.write("night/night.yaml", manifest("night", {"n1": "one"}))
        r = run("enqueue", "night/night.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        shutil.move(os.path.join(self.dir, "night"), os.path.join(self.dir, "night-archive"))
        r = run("enqueue", "night-archive/night.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("batch 'night': 0 added, 1 already in the queue", r.stdout)

    # Item 6: a rendered job's prompt edited; the rest of the manifest goes ahead, and the advice works.
    def test_one_changed_job_does_not_block_the_manifest_and_raising_takes_renders_the_new_spec(self):
        self.start_sim()
        jobs = {"a": "first", "b": "second", "c": "third"}
        self.write("m.yaml", manifest("m", jobs))
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        place = f"{self.dir}/m.yaml:6:5"  # job b's line

        jobs["b"] = "second, revised"
        jobs["d"] = "fourth"
        self.write("m.yaml", manifest("m", jobs))
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"reelq: {place}: job 'b' changed since it was enqueued (prompt differs) and was left out; take "
                      "1 was already rendered and paid for. To render the new spec as well, raise takes to 2 and add "
                      "--replace-changed (or give the job another id)\n", r.stderr)
        self.assertEqual(self.tasks(), 4)  # d went ahead
        self.assertEqual(self.query("SELECT state FROM jobs WHERE job_id = 'd'"), [("succeeded",)])

        r = self.reelq_run("m.yaml", "--replace-changed")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"reelq: {place}: job 'b' take 1 changed (prompt differs) but it was already rendered and paid "
                      "for; it cannot be replaced and stays as it is. To render the new spec as well, raise takes to "
                      "2\n", r.stderr)
        self.assertEqual(self.tasks(), 4)

        jobs["b"] = ("second, revised", 2)
        self.write("m.yaml", manifest("m", jobs))
        r = self.reelq_run("m.yaml", "--replace-changed")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"reelq: {place}: job 'b' take 1 keeps its earlier spec: it was already rendered and paid for; "
                      "take 2 renders the new one\n", r.stderr)
        self.assertEqual(self.tasks(), 5)
        self.assertEqual(sum("second, revised" in i for i in self.rendered_prompts()), 1)
        self.assertEqual(self.query("SELECT take, state FROM jobs WHERE job_id = 'b' AND input_json LIKE "
                                    "'%second, revised%'"), [(2, "succeeded")])

        # The manifest as it now is: nothing changed, nothing said, nothing rendered.
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("job 'b'", r.stderr)
        self.assertEqual(self.tasks(), 5)


if __name__ == "__main__":
    main()
