"""Issue 12, items 2, 5, 7, 11 and 14: what reelq reports about a batch must be what happened, with
several commands and batches on one database. Against `reelq sim` on 127.0.0.1 only: a run that
would go to the real API goes to a proxy on a closed local port instead (HTTPS_PROXY), so nothing
ever leaves the machine even when the code under test is wrong."""
import os
import signal
import subprocess
import time

from harness import KEY, REELQ, main, run
from simharness import SCALE, SimRunTest

# Any request for a host other than 127.0.0.1 goes to a closed local port and fails at once.
NO_WAY_OUT = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}


def manifest(batch, prompts, settings=""):
    lines = [f"batch: {batch}", "defaults: {duration: 8, size: 1280*720}"]
    if settings:
        lines.append(f"settings: {settings}")
    lines.append("jobs:")
    for job_id, prompt in prompts.items():
        lines += [f"  - id: {job_id}", f"    prompt: \"{prompt}\""]
    return "\n".join(lines) + "\n"


class BatchTruth(SimRunTest):
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

    def reelq_env(self, *args, timeout=120):
        """Any command with the key, and every non-local request sent to a closed local port."""
        return run(*args, cwd=self.dir, env=dict(NO_WAY_OUT, APIXO_API_KEY=KEY), timeout=timeout)

    # Item 2: `reelq download` after a failed download said "1 fetched, 0 failed", exit 0, no file.
    def test_a_download_that_failed_is_tried_again_and_never_reported_on_disk_without_its_file(self):
        self.start_sim("--fault-truncate", "1")
        self.write("m.yaml", manifest("dl", {"clip": "a quiet street"}))
        r = self.reelq_run("m.yaml", "--output-dir", "out")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("DOWNLOAD_FAILED", r.stdout)
        self.assertEqual(self.query("SELECT attempts FROM files"), [(5,)])

        r = self.reelq("download")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("0 fetched, 1 failed", r.stdout)
        self.assertEqual([n for n in os.listdir(os.path.join(self.dir, "out")) if n.endswith(".mp4")], [])
        self.assertEqual(self.query("SELECT state, fail_code FROM jobs"), [("failed", "DOWNLOAD_FAILED")])
        self.assertEqual(self.query("SELECT attempts FROM files"), [(10,)])  # five fresh attempts were made

        r = self.reelq("retry")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1 to download again", r.stdout)
        r = self.reelq_run(cmd="resume")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(self.query("SELECT state, fail_code FROM jobs"), [("failed", "DOWNLOAD_FAILED")])
        self.assertEqual(self.query("SELECT attempts FROM files"), [(15,)])
        self.assertEqual(self.sim.stats()["tasks_created"], 1)  # never paid twice

    # Item 5: `enqueue --replace-changed` during a run changed the batch under the runner.
    def test_enqueue_during_a_run_is_refused_with_the_runners_pid_and_changes_nothing(self):
        self.start_sim()
        prompts = {f"j{i}": f"scene {i}" for i in range(5)}
        self.write("m.yaml", manifest("live", prompts, "{max_concurrent: 1}"))
        p = self.spawn_run("m.yaml", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.wait_for("the first task", "SELECT count(*) FROM jobs WHERE state = 'running'", 1)
            prompts["j3"] = "a new prompt"
            self.write("m.yaml", manifest("live", prompts, "{max_concurrent: 1}"))
            r = self.reelq("enqueue", "m.yaml", "--replace-changed")
            self.assertEqual(p.poll(), None, "the run ended before the enqueue: the test proves nothing")
        finally:
            out, err = p.communicate(timeout=120)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertIn(f"another reelq (pid {p.pid}) is running batches from {self.dir}/q.db", r.stderr)
        self.assertIn("nothing was enqueued", r.stderr)
        self.assertEqual(p.returncode, 0, out + err)
        # What was rendered is what the database and the report say was rendered.
        rendered = [e["input"] for e in self.sim.stats()["tasks_by_input"]]
        self.assertTrue(any("scene 3" in i for i in rendered), rendered)
        self.assertFalse(any("a new prompt" in i for i in rendered), rendered)
        self.assertEqual(self.query("SELECT count(*) FROM jobs WHERE input_json LIKE '%a new prompt%'"), [(0,)])
        # Once the run is over, the change is accepted... and a take already rendered keeps its spec.
        r = self.reelq("enqueue", "m.yaml", "--replace-changed")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("job 'j3' take 1 changed (prompt differs) but it was already rendered and paid for; it cannot "
                      "be replaced and stays as it is. To render the new spec as well, raise takes to 2", r.stderr)

    # Item 7: a stopped batch's running tasks were not counted against the next batch's slots.
    def test_a_stopped_batchs_running_tasks_hold_slots_for_the_next_batch_and_are_collected(self):
        self.start_sim("--mean-render", "600")  # 3 s renders at this scale: still running when b starts
        self.write("a.yaml", manifest("a", {f"a{i}": f"first {i}" for i in range(3)}))
        p = self.spawn_run("a.yaml", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for("a's three tasks", "SELECT count(*) FROM jobs WHERE state = 'running'", 3)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 3, out + err)
        self.write("b.yaml", manifest("b", {f"b{i:02d}": f"second {i}" for i in range(9)}))
        r = self.reelq_run("b.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("batch b: 9 succeeded, 0 failed", r.stdout)
        stats = self.sim.stats()
        self.assertEqual(stats["rate_limited_sent"], 0)  # the API never had to say "too many tasks"
        self.assertLessEqual(stats["max_concurrent_tasks"], 10)
        self.assertEqual(stats["tasks_created"], 12)
        self.assertEqual(self.query("SELECT count(*) FROM jobs WHERE batch = 'a' AND state = 'succeeded'"), [(3,)])
        self.assertEqual(sorted(n for n in os.listdir(os.path.join(self.dir, "renders", "a")) if n.endswith(".mp4")),
                         ["a0-t1.mp4", "a1-t1.mp4", "a2-t1.mp4"])

    # Item 11: the hint after Ctrl-C sent the next run to the default API.
    def test_resume_goes_back_to_the_api_and_time_scale_the_batch_ran_with(self):
        self.start_sim("--concurrency", "2")
        self.write("m.yaml", manifest("night", {f"j{i}": f"scene {i}" for i in range(6)}, "{max_concurrent: 2}"))
        p = self.spawn_run("m.yaml", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for("a finished render", "SELECT count(*) FROM jobs WHERE state = 'succeeded'", 1)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 3, out + err)
        self.assertIn(f"Continue with: reelq resume --db {self.dir}/q.db --batch night", out)
        self.assertEqual(self.query("SELECT api_base, time_scale FROM batches"), [(self.sim.base, float(SCALE))])
        # Exactly the hint, with no --api-base and no --time-scale.
        t0 = time.monotonic()
        r = self.reelq_env("resume", "--db", "q.db", "--batch", "night", timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("batch night: 6 succeeded, 0 failed", r.stdout)
        self.assertLess(time.monotonic() - t0, 30)  # at the stored scale, not real time
        self.assertEqual(self.sim.stats()["tasks_created"], 6)
        # A later `run` of the same manifest goes back there too (it read the default API's balance).
        self.write("m.yaml", manifest("night", {f"j{i}": f"scene {i}" for i in range(7)}, "{max_concurrent: 2}"))
        r = self.reelq_env("run", "m.yaml", "--db", "q.db", timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("batch night: 7 succeeded, 0 failed", r.stdout)
        self.assertEqual(self.sim.stats()["tasks_created"], 7)

    # Item 11: a rehearsal's database pointed at the real API once its simulator was gone.
    def test_a_rehearsals_database_refuses_the_real_api_and_its_own_dead_simulator(self):
        self.start_sim()
        self.write("m.yaml", manifest("city", {"ok": "fine", "bad": "REJECTME please"}))
        r = run("run", "--rehearse", "m.yaml", "--time-scale", SCALE, cwd=self.dir, timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("balance $", r.stdout)  # the simulator's billion is not the user's balance
        self.assertNotIn("balance:", r.stdout)  # nor, in the summary, its $1000000000.00 before and after
        self.assertIn("(simulated: nothing was charged)", r.stdout)
        db = os.path.join("renders", "city.rehearsal", "rehearsal.db")
        st = run("status", "--db", db, cwd=self.dir)
        self.assertIn("spent on city: ", st.stdout)
        self.assertNotIn("balance around", st.stdout)
        # Its advice is another rehearsal: `run m.yaml --replace-changed` would be the paid night.
        manifest_path = os.path.join(self.dir, "m.yaml")
        failed = run("status", "--failed", "--db", db, cwd=self.dir)
        self.assertIn(f"edit bad in {manifest_path}, then rehearse again: reelq run --rehearse {manifest_path}",
                      failed.stdout)
        self.assertNotIn("--replace-changed", failed.stdout)
        r = self.reelq_env("retry", "--db", db)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1 requeued", r.stdout)
        self.assertIn(f"This is a rehearsal's queue, which is never resumed: `reelq run --rehearse {manifest_path}` "
                      "rehearses the batch again from the start\n", r.stdout)
        st = run("status", "--db", db, cwd=self.dir)
        self.assertIn(f"no runner active: a rehearsal is not resumed; `reelq run --rehearse {manifest_path}` "
                      "rehearses batch city again", st.stdout)
        r = self.reelq_env("resume", "--db", db, "--api-base", "https://api.apixo.ai", timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"reelq: {os.path.join(self.dir, db)} is a rehearsal's database (reelq run --rehearse) and never talks to a real API; "
                      "refusing https://api.apixo.ai.", r.stderr)
        r = self.reelq_env("resume", "--db", db, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("the built-in simulator it ran against", r.stderr)
        # Without a key, the same refusal comes first: never "no API key", which invites the real one.
        r = run("resume", "--db", db, cwd=self.dir, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("the built-in simulator it ran against", r.stderr)
        self.assertNotIn("no API key", r.stderr)
        self.assertEqual(self.sim.stats()["total_requests"], 0)
        # A `reelq sim` on this machine is fine: the rejected prompt is rejected again.
        r = self.reelq_env("resume", "--db", db, "--api-base", self.sim.base, "--time-scale", SCALE, timeout=60)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("CONTENT_VIOLATION", r.stdout)

    # Item 14: a second rehearsal deleted the running one's database, then exited 70.
    def test_a_second_rehearsal_of_the_same_manifest_is_refused_and_deletes_nothing(self):
        self.write("m.yaml", manifest("twice", {f"j{i}": f"scene {i}" for i in range(12)}))
        env = dict(os.environ)
        env.pop("APIXO_API_KEY", None)
        first = subprocess.Popen([REELQ, "run", "--rehearse", "m.yaml", "--time-scale", "0.01"], cwd=self.dir,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        db = os.path.join(self.dir, "renders", "twice.rehearsal", "rehearsal.db")
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not os.path.exists(db):
                time.sleep(0.02)
            self.wait_for_rows(db)
            inode = os.stat(db).st_ino
            r = run("run", "--rehearse", "m.yaml", "--time-scale", "0.01", cwd=self.dir, timeout=60)
            still_running = first.poll() is None
        finally:
            out, err = first.communicate(timeout=120)
        self.assertTrue(still_running, "the first rehearsal ended too soon: the test proves nothing")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"a rehearsal of twice is running already (another reelq (pid {first.pid})", r.stderr)
        self.assertIn("nothing was changed", r.stderr)
        self.assertEqual(os.stat(db).st_ino, inode)  # the running rehearsal's database was not deleted
        self.assertIn("batch twice: 12 succeeded", out, err)

    def wait_for_rows(self, db):
        import sqlite3
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with sqlite3.connect(db) as c:
                    if c.execute("SELECT count(*) FROM jobs WHERE state = 'running'").fetchone()[0] > 0:
                        return
            except sqlite3.Error:
                pass
            time.sleep(0.02)
        self.fail("the first rehearsal never started a task")


if __name__ == "__main__":
    main()
