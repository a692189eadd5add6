"""Issue 20: a `reelq run` or `reelq enqueue` into a queue whose runner is active adds its jobs to that
runner's night: the command returns at once, saying so, and the runner drains the added batch in
the same process once it has drained its own, with one key never driven by two processes (0
concurrent-task 429s). While a runner drains, the queue only takes new jobs. Against `reelq sim`
on 127.0.0.1 only."""
import contextlib
import os
import signal
import subprocess
import time

from harness import KEY, REELQ, main, run
from simharness import SCALE, SimRunTest


def manifest(batch, n, prompt="shot"):
    jobs = "\n".join(f"  - id: {batch}-{i:02d}\n    prompt: \"{batch} {prompt} {i}\"" for i in range(n))
    return f"batch: {batch}\ndefaults: {{duration: 4, size: 1280*720}}\njobs:\n{jobs}\n"


class Handoff(SimRunTest):
    def start_first(self):
        # Renders of about 6 s at this scale, so that alpha's two waves outlast the
        # commands the tests run beside it even under the sanitizers, where each reelq starts slowly.
        self.start_sim("--keys", f"studio:{KEY}:60:10", "--mean-render", "1200")
        self.write("a.yaml", manifest("alpha", 20))
        env = dict(os.environ, APIXO_API_KEY=KEY)
        first = subprocess.Popen([REELQ, "run", "a.yaml", "--db", "q.db", "--api-base", self.sim.base,
                                  "--time-scale", SCALE], cwd=self.dir, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while self.sim.stats()["tasks_created"] < 5:
            self.assertIsNone(first.poll(), "the first run ended too soon")
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)
        return first

    def finish(self, first, added):
        out, err = first.communicate(timeout=300)
        self.assertEqual(first.returncode, 0, out[-2000:] + err)
        self.assertIn("batch alpha: 20 succeeded, 0 failed", out)
        self.assertIn(f"batch {added} was added to this queue while it ran: draining it now", out)
        self.assertIn(f"batch {added}: 20 succeeded, 0 failed", out)
        k = self.sim.stats()["keys"]["studio"]
        self.assertEqual(k["concurrency_429"], 0)
        self.assertEqual(k["rate_429"], 0)
        self.assertEqual(k["tasks_created"], 40)
        return out

    def test_a_second_run_into_the_active_queue_joins_its_night(self):
        first = self.start_first()
        self.write("b.yaml", manifest("beta", 20))
        # Its --on-finish would report a night this command did not drain ("0 succeeded"): not run, said so.
        r = self.reelq_run("b.yaml", "--on-finish", "touch hook-ran")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"batch beta: 20 takes added to the queue {os.path.join(self.dir, 'q.db')}, whose runner "
                      f"(reelq pid {first.pid}) renders them in the same run", r.stdout)
        self.assertIn("--on-finish and --notify not run: the batch joined the night of the reelq already running",
                      r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "hook-ran")))
        self.finish(first, "beta")

    def test_enqueue_into_the_active_queue_joins_its_night_and_changed_jobs_are_refused(self):
        first = self.start_first()
        # A changed job of the batch being drained: refused, nothing written.
        self.write("a2.yaml", manifest("alpha", 20, prompt="changed"))
        r = self.reelq("enqueue", "a2.yaml")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("nothing was enqueued", r.stderr)
        r = self.reelq("enqueue", "a2.yaml", "--replace-changed")
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("while it runs the queue only takes new jobs", r.stderr)
        self.write("g.yaml", manifest("gamma", 20))
        r = self.reelq("enqueue", "g.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("whose runner", r.stdout)
        self.finish(first, "gamma")

    def test_a_resumes_night_drains_an_added_batch_at_its_own_api_and_refuses_one_named_elsewhere(self):
        """A trial stopped a run against the simulator, resumed it (no --api-base: the batch remembers
        its API), and added a batch: the runner sent it to the default API, the paid one."""
        first = self.start_first()
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
        self.assertEqual(first.returncode, 3)
        before = self.sim.stats()["tasks_created"]
        env = dict(os.environ, APIXO_API_KEY=KEY)
        runner = subprocess.Popen([REELQ, "resume", "--db", "q.db"], cwd=self.dir, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: runner.poll() is None and (runner.kill(), runner.wait()))
        self.wait_for_tasks(runner, before + 1)
        self.write("g.yaml", manifest("gamma", 20))
        r = self.reelq("enqueue", "g.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("whose runner", r.stdout)
        # Named at another API, a batch is not handed to a runner whose key goes elsewhere.
        self.write("b.yaml", manifest("beta", 2))
        elsewhere = "http://127.0.0.1:9"
        r = run("run", "b.yaml", "--db", "q.db", "--api-base", elsewhere + "/", cwd=self.dir,
                env={"APIXO_API_KEY": KEY})
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"reelq pid {runner.pid} is running batches from {os.path.join(self.dir, 'q.db')} at the API "
                      f"{self.sim.base}, and would drain batch beta there with its own key; this run names "
                      f"{elsewhere}. Nothing was added", r.stderr)
        out, err = runner.communicate(timeout=300)
        self.assertEqual(runner.returncode, 0, out[-2000:] + err)
        self.assertIn("batch gamma was added to this queue while it ran: draining it now", out)
        self.assertIn("batch gamma: 20 succeeded, 0 failed", out)
        self.assertNotIn("beta", out)
        self.assertEqual(self.sim.stats()["keys"]["studio"]["tasks_created"], 40)
        with contextlib.closing(self.db()) as db:
            apis = dict(db.execute("SELECT name, api_base FROM batches").fetchall())
        self.assertEqual(apis, {"alpha": self.sim.base, "gamma": self.sim.base})


if __name__ == "__main__":
    main()
