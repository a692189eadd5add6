"""A night that survives the network: `reelq run` against `reelq sim` while the API goes away
(`POST /__sim/outage`), cannot be reached at all, never finishes a render, or the terminal hangs up."""
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

from harness import KEY, REELQ, main
from simharness import SCALE, SimRunTest


def plain_manifest(n, batch="net"):
    lines = [f"batch: {batch}", "jobs:"]
    for i in range(n):
        lines += [f"  - id: job{i:02d}", f"    prompt: \"scene {i}\"", f"    duration: {[4, 8, 12][i % 3]}"]
    return "\n".join(lines) + "\n"


def closed_port():
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Network(SimRunTest):
    def count(self, where):
        return self.db().execute(f"SELECT count(*) FROM jobs WHERE {where}").fetchone()[0]

    def wait_for(self, predicate, timeout=60):
        """Until predicate() holds; a database still being created counts as not yet."""
        def holds():
            try:
                return predicate()
            except sqlite3.Error:
                return False
        deadline = time.monotonic() + timeout
        while not holds():
            if time.monotonic() > deadline:
                self.fail("timed out waiting")
            time.sleep(0.05)

    def test_an_api_unreachable_for_10_minutes_mid_batch_costs_no_attempt_and_every_job_succeeds(self):
        self.start_sim("--seed", "3")
        self.write("m.yaml", plain_manifest(30))
        started = time.monotonic()
        p = self.spawn_run("m.yaml", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for(lambda: os.path.exists(os.path.join(self.dir, "q.db")) and self.count("state = 'succeeded'") >= 5)
        succeeded_before = self.count("state = 'succeeded'")
        status, body = self.sim.request("POST", "/__sim/outage?seconds=600", key=None)  # 10 scaled minutes
        self.assertEqual(status, 200)
        outage_s = body["down_for_ms"] / 1000
        out, err = p.communicate(timeout=180)
        wall = time.monotonic() - started
        self.assertEqual(p.returncode, 0, out[-3000:] + err)
        self.assertIn("batch net: 30 succeeded, 0 failed", out)
        self.assertEqual(self.count("state = 'succeeded' AND attempts = 1"), 30)
        self.assertEqual(self.count("ambiguous = 1"), 0)
        said = "\n".join(line for line in out.splitlines() if "reachable" in line)
        self.assertIn("API unreachable (Connection refused", out, said)
        self.assertIn("still polling", out)
        self.assertIn("API reachable again after", out)
        stats = self.sim.stats()
        self.assertEqual(stats["tasks_created"], 30)
        self.assertEqual(stats["rate_limited_sent"], 0)
        self.assertLessEqual(stats["max_requests_in_window"], stats["rpm"])
        self.assertLessEqual(stats["max_concurrent_tasks"], stats["concurrency"])
        db = self.db()
        not_sent = db.execute("SELECT count(*) FROM events WHERE outcome = 'unreachable'").fetchone()[0]
        downloads = db.execute("SELECT count(*) FROM files WHERE sha256 IS NOT NULL").fetchone()[0]
        self.assertEqual(downloads, 30)
        notes = sum(1 for line in out.splitlines() if "API unreachable for" in line)
        sys.stderr.write(
            f"\n  figure: 30 jobs at time scale {SCALE}, outage {outage_s:.1f} s real (600 s scaled) after "
            f"{succeeded_before} had succeeded: 30 succeeded, every one at attempt 1, 0 ambiguous, "
            f"{stats['tasks_created']} tasks created, {not_sent} requests not sent, {notes} 'unreachable for' "
            f"notes, {wall:.1f} s wall\n")

    def test_the_simulator_killed_and_started_again_mid_batch_fails_nothing_and_pays_nothing_twice(self):
        """The API process itself goes away (SIGKILL: connections refused, answers cut), then comes
        back on the same port still knowing its tasks (--state)."""
        port = str(closed_port())
        args = ("--seed", "4", "--port", port, "--state", os.path.join(self.dir, "sim-state.json"))
        self.start_sim(*args)
        self.write("m.yaml", plain_manifest(30))
        p = self.spawn_run("m.yaml", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for(lambda: os.path.exists(os.path.join(self.dir, "q.db")) and self.count("state = 'succeeded'") >= 5)
        self.sim.proc.kill()
        self.sim.proc.wait()
        time.sleep(2.0)  # 400 scaled seconds without an API
        self.assertIsNone(p.poll(), "the run must wait for the API, not end")
        self.sim.close()
        self.start_sim(*args)
        out, err = p.communicate(timeout=180)
        self.assertEqual(p.returncode, 0, out[-3000:] + err)
        self.assertIn("batch net: 30 succeeded, 0 failed", out)
        said = "\n".join(line for line in out.splitlines() if "reachable" in line)
        self.assertIn("API unreachable (Connection refused", out, said)
        self.assertIn("API reachable again after", out)
        self.assertEqual(self.count("state = 'failed'"), 0)
        stats = self.sim.stats()  # the second life's, with the first's tasks
        flagged = self.count("ambiguous = 1")
        # Every task the API made is a job's, but for submits whose answer the kill cut (flagged).
        self.assertGreaterEqual(stats["tasks_created"], 30)
        self.assertLessEqual(stats["tasks_created"], 30 + flagged)
        self.assertEqual(stats["rate_limited_sent"], 0)
        self.assertLessEqual(stats["max_concurrent_tasks"], stats["concurrency"])
        sys.stderr.write(f"\n  figure: simulator killed after 5 of 30 succeeded, away 2.0 s real (400 s scaled): "
                         f"30 succeeded, {stats['tasks_created']} tasks created, {flagged} flagged possible "
                         "duplicates, 0 failed\n")

    def test_an_unreachable_api_at_start_up_stops_before_anything_is_enqueued(self):
        self.write("m.yaml", plain_manifest(3))
        base = f"http://127.0.0.1:{closed_port()}"
        r = subprocess.run([REELQ, "run", "m.yaml", "--db", "q.db", "--api-base", base, "--time-scale", SCALE],
                           cwd=self.dir, env=dict(os.environ, APIXO_API_KEY=KEY), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn(f"reelq: cannot reach the API at {base} (Connection refused", r.stderr)
        self.assertIn("nothing was enqueued or submitted", r.stderr)
        self.assertNotIn("starting anyway", r.stderr)
        self.assertEqual(self.count("1"), 0)
        # A batch already in the queue: resume stops before submitting anything.
        subprocess.run([REELQ, "enqueue", "m.yaml", "--db", "q.db"], cwd=self.dir, check=True, capture_output=True)
        r = subprocess.run([REELQ, "resume", "--db", "q.db", "--api-base", base], cwd=self.dir,
                           env=dict(os.environ, APIXO_API_KEY=KEY), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("nothing was submitted", r.stderr)
        self.assertEqual(self.count("state = 'queued' AND attempts = 0"), 3)

    def test_a_render_that_never_ends_times_out_keeps_its_task_and_resume_asks_again(self):
        self.start_sim("--mean-render", "1000000")
        self.write("m.yaml", plain_manifest(2))
        r = self.reelq_run("m.yaml", "--render-deadline", "400", timeout=120)  # 2 s at this scale
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("failures: RENDER_TIMEOUT 2", r.stdout)
        self.assertIn("2 renders passed render_deadline and were given up on; the taskIds are kept: "
                      f"reelq resume --db {os.path.join(self.dir, 'q.db')} --batch net asks the API again", r.stdout)
        self.assertEqual(self.count("fail_code = 'RENDER_TIMEOUT' AND task_id IS NOT NULL"), 2)
        polls = self.db().execute("SELECT count(*) FROM events WHERE endpoint = 'statusTask'").fetchone()[0]
        self.assertLess(polls, 200)  # every poll_interval for the whole deadline would be 400
        r = self.reelq("download")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("2 renders timed out at the API (RENDER_TIMEOUT) with their taskId kept: "
                      f"`reelq resume --db {os.path.join(self.dir, 'q.db')}` asks the API again", r.stdout)
        r = self.reelq_run("--render-deadline", "400", cmd="resume")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("2 tasks that timed out earlier: asking the API again", r.stdout)
        self.assertEqual(self.sim.stats()["tasks_created"], 2)  # asked about, never submitted again

    def test_sighup_stops_like_sigterm_with_the_resume_line(self):
        self.start_sim()
        self.write("m.yaml", plain_manifest(20))
        p = self.spawn_run("m.yaml", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for_tasks(p, 1)
        t0 = time.monotonic()
        p.send_signal(signal.SIGHUP)
        out, err = p.communicate(timeout=10)
        self.assertLess(time.monotonic() - t0, 2.5)
        self.assertEqual(p.returncode, 3, out + err)
        self.assertIn(f"Continue with: reelq resume --db {os.path.join(self.dir, 'q.db')} --batch net", out)

    def test_under_nohup_a_hangup_does_not_stop_the_run(self):
        self.start_sim()
        self.write("m.yaml", plain_manifest(6))
        p = self.spawn_run("m.yaml", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
        self.wait_for_tasks(p, 1)
        p.send_signal(signal.SIGHUP)
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn("batch net: 6 succeeded", out)

    def test_a_stop_with_a_submit_on_the_wire_ends_within_the_grace_and_leaves_it_to_resume(self):
        self.start_sim("--slow-rate", "1", "--slow-seconds", f"{6 / float(SCALE):g}")  # 6 real seconds
        self.write("m.yaml", "batch: net\njobs:\n  - id: only\n    prompt: p\n")
        p = self.spawn_run("m.yaml", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # The balance answer (6 s) is recorded; the submit that follows is on the wire for 6 s more.
        self.wait_for(lambda: os.path.exists(os.path.join(self.dir, "q.db")) and self.db().execute(
            "SELECT count(*) FROM events WHERE endpoint = 'balance'").fetchone()[0] == 1)
        time.sleep(1.0)
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
        # The loop waits a moment for answers on their way, then ends by itself: the watchdog's
        # 2 s are not needed, and the summary is printed.
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertEqual(p.returncode, 3, out + err)
        self.assertNotIn("stop took over 2 s", out)
        # Left as a run killed mid-submit leaves it: the next run's --on-ambiguous decides.
        self.assertIn("only: submit unanswered when the run stopped; the task may exist: the next `reelq resume` "
                      "treats it as ambiguous", out)
        self.assertEqual(self.db().execute("SELECT state, ambiguous FROM jobs").fetchall(), [("submitting", 0)])
        self.assertIn(f"Continue with: reelq resume --db {os.path.join(self.dir, 'q.db')} --batch net", out)

if __name__ == "__main__":
    main()
