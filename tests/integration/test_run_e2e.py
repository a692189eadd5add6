"""`reelq run` / `resume` end to end against `reelq sim` over HTTP on 127.0.0.1, at a small time scale."""
import json
import os
import random
import signal
import subprocess
import time
import unittest

from harness import KEY, REELQ, main, run, sweep
from simharness import SCALE, SimRunTest



def mixed_manifest(n, extra=""):
    sizes = ["1280*720", "720*1280", "1792*1024", "1024*1792"]
    lines = ["batch: mixed", "jobs:"]
    for i in range(n):
        lines.append(f"  - id: job{i:02d}")
        lines.append(f"    prompt: \"scene {i}, golden light\"")
        if i % 7 == 3:
            lines += ["    mode: image-to-video", "    resolution: 1080p",
                      "    images: [https://example.com/ref.jpg]"]
        else:
            lines.append(f"    size: {sizes[i % 4]}")
        lines.append(f"    duration: {[4, 8, 12][i % 3]}")
        if i % 10 == 0:
            lines.append("    takes: 2")
    return "\n".join(lines) + "\n" + extra


class RunE2E(SimRunTest):
    def assert_caps_held(self, stats):
        self.assertEqual(stats["rate_limited_sent"], 0)
        self.assertLessEqual(stats["max_requests_in_window"], stats["rpm"])
        self.assertLessEqual(stats["max_concurrent_tasks"], stats["concurrency"])

    def assert_each_take_rendered_once(self, stats, allow_flagged=True):
        """Tasks per identical input never exceed that job's takes, plus its flagged resubmits."""
        db = self.db()
        takes, flagged = {}, {}
        for input_json, n, amb in db.execute("SELECT input_json, count(*), sum(ambiguous) FROM jobs GROUP BY input_json"):
            key = json.dumps(json.loads(input_json), sort_keys=True, separators=(",", ":"))
            takes[key], flagged[key] = n, amb
        for entry in stats["tasks_by_input"]:
            key = json.dumps(json.loads(entry["input"]), sort_keys=True, separators=(",", ":"))
            allowed = takes[key] + (flagged[key] if allow_flagged else 0)
            self.assertLessEqual(entry["tasks"], allowed, entry["input"])

    def test_a_40_job_mixed_batch_completes_within_the_caps(self):
        self.start_sim()
        self.write("m.yaml", mixed_manifest(40))
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("batch mixed: 44 succeeded, 0 failed", r.stdout)
        files = sorted(n for n in os.listdir(os.path.join(self.dir, "renders", "mixed")) if n.endswith(".mp4"))
        self.assertEqual(len(files), 44)
        self.assertIn("job00-t1.mp4", files)
        self.assertIn("job01-t1.mp4", files)
        stats = self.sim.stats()
        self.assert_caps_held(stats)
        self.assertEqual(stats["tasks_created"], 44)
        self.assert_each_take_rendered_once(stats, allow_flagged=False)
        db = self.db()
        self.assertEqual(db.execute("SELECT count(*) FROM files WHERE sha256 IS NOT NULL").fetchone()[0], 44)
        # What it cost is in the summary and in status, priced by the built-in table.
        # Issue 17 item 5: spent is what the rendered takes cost (all 44 rendered here).
        self.assertRegex(r.stdout, r"\n  spent: \$[0-9]+\.[0-9]{2} for 44 rendered takes \(44 tasks created\)\n")
        self.assertRegex(self.reelq("status").stdout, r"spent on mixed: \$[0-9]+\.[0-9]{2} for 44 rendered takes")

    def test_with_faults_nothing_is_lost_and_only_flagged_jobs_repeat(self):
        self.start_sim("--faults", "0.15", "--seed", "5")
        self.write("m.yaml", mixed_manifest(30))
        r = self.reelq_run("m.yaml", "--max-attempts", "30")
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)
        db = self.db()
        self.assertEqual(db.execute("SELECT count(*) FROM jobs WHERE state = 'succeeded'").fetchone()[0], 33)
        stats = self.sim.stats()
        self.assertLessEqual(stats["max_requests_in_window"], stats["rpm"])
        self.assertLessEqual(stats["max_concurrent_tasks"], stats["concurrency"])
        self.assert_each_take_rendered_once(stats)
        # Every submit whose answer was lost is counted as a possible duplicate charge, and said so.
        lost = db.execute("SELECT count(*) FROM events WHERE endpoint IN ('generateTask', 'recovery') "
                          "AND outcome = 'ambiguous'").fetchone()[0]
        if lost:
            self.assertIn(f"{lost} possible duplicate charge", r.stdout)
        # Every file on disk is whole (truncated downloads were retried, never kept).
        for name in [n for n in os.listdir(os.path.join(self.dir, "renders", "mixed")) if n.endswith(".mp4")]:
            with open(os.path.join(self.dir, "renders", "mixed", name), "rb") as f:
                self.assertEqual(len(f.read()), 11296, name)

    def test_kill_9_at_random_moments_then_resume_finishes_every_job(self):
        self.start_sim("--seed", "9")
        self.write("m.yaml", mixed_manifest(24))
        rng = random.Random(1234)
        env = dict(os.environ, APIXO_API_KEY=KEY)
        args = ["--db", "q.db", "--api-base", self.sim.base, "--time-scale", SCALE, "--quiet"]
        for i in range(6):
            cmd = [REELQ, "run", "m.yaml"] if i == 0 else [REELQ, "resume"]
            p = subprocess.Popen(cmd + args, cwd=self.dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.2, 1.2))
            if p.poll() is None:
                p.kill()
            p.wait()
            if i == 0:
                # What a kill -9 mid-download leaves (a trial and CI each met one): the next run removes it.
                out = os.path.join(self.dir, "renders", "mixed")
                os.makedirs(out, exist_ok=True)
                with open(os.path.join(out, f".job01-t1.mp4.{p.pid}.part"), "wb") as f:
                    f.write(b"\0\0\0\x18ftypmp42 half a video")
        r = self.reelq_run(cmd="resume")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        db = self.db()
        self.assertEqual(db.execute("SELECT count(*) FROM jobs WHERE state = 'succeeded'").fetchone()[0], 27)
        self.assertEqual(len([n for n in os.listdir(out) if n.endswith(".mp4")]), 27)
        self.assertEqual([n for n in os.listdir(out) if n.endswith(".part")], [])
        stats = self.sim.stats()
        self.assert_caps_held(stats)
        self.assert_each_take_rendered_once(stats)

    def test_sigint_stops_within_2_seconds_and_resume_finishes(self):
        self.start_sim()
        self.write("m.yaml", mixed_manifest(20))
        p = self.spawn_run(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for_tasks(p, 1)
        during = self.reelq("status")
        self.assertIn(f"runner: pid {p.pid} active on this database", during.stdout)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertEqual(p.returncode, 3, out + err)
        self.assertIn(f"Continue with: reelq resume --db {os.path.join(self.dir, 'q.db')} --batch mixed", out)
        after = self.reelq("status")
        self.assertIn(f"no runner active: `reelq resume --db {os.path.join(self.dir, 'q.db')} --batch mixed` "
                      "continues it", after.stdout)
        r = self.reelq_run(cmd="resume")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], 22)

    def test_resume_keeps_the_flags_the_run_was_given(self):
        """`run --on-ambiguous hold`, stopped with a submit of unknown fate: `resume` alone must hold
        it too (it resubmitted it, paying perhaps twice, when the flag was forgotten)."""
        self.start_sim()
        self.write("m.yaml", mixed_manifest(20))
        p = self.spawn_run("m.yaml", "--on-ambiguous", "hold", "--max-concurrent", "2",
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_for_stored_tasks(p, 2)
        p.kill()
        p.wait()
        db = self.db()
        # As a kill between the intent and the answer leaves it (unless the kill itself just did).
        db.execute("UPDATE jobs SET state = 'submitting' WHERE rowid = "
                   "(SELECT min(rowid) FROM jobs WHERE state = 'queued') "
                   "AND NOT EXISTS (SELECT 1 FROM jobs WHERE state = 'submitting')")
        db.commit()
        self.assertEqual(db.execute("SELECT count(*) FROM jobs WHERE state = 'submitting'").fetchone()[0], 1)
        remembered = json.loads(db.execute("SELECT run_flags_json FROM batches").fetchone()[0])
        self.assertEqual(remembered, {"on_ambiguous": "hold", "max_concurrent": "2"})
        db.close()
        r = self.reelq_run(cmd="resume")
        self.assertIn("reelq: batch mixed runs with the flags its last run was given: --max-concurrent 2 "
                      "--on-ambiguous hold (give one again to change it)", r.stderr)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # the held take is failed, not resubmitted
        held = self.db().execute("SELECT fail_code, ambiguous FROM jobs WHERE fail_code IS NOT NULL").fetchall()
        self.assertEqual(held, [("AMBIGUOUS_SUBMIT", 0)])
        self.assertLessEqual(self.sim.stats()["max_concurrent_tasks"], 2)
        r = self.reelq("retry", "--batch", "mixed", "--fail-code", "AMBIGUOUS_SUBMIT")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 requeued for submitting.\n1 of them was held because its submit went out without an "
                      "answer: the API may have made that task already, and resubmitting may be charged twice",
                      r.stdout)
        # Given again, a flag wins and is remembered in its turn.
        again = self.reelq_run("--batch", "mixed", "--on-ambiguous", "resubmit", cmd="resume")
        self.assertNotIn("--on-ambiguous", again.stderr)
        flags = json.loads(self.db().execute("SELECT run_flags_json FROM batches").fetchone()[0])
        self.assertEqual(flags["on_ambiguous"], "resubmit")

    def run_with_umask(self, mask, *args, env):
        return subprocess.run([REELQ, "run", "m.yaml", "--api-base", self.sim.base, "--time-scale", SCALE, *args],
                              cwd=self.dir, env=dict(os.environ, **env), capture_output=True, text=True,
                              timeout=120, preexec_fn=lambda: os.umask(mask))

    def mode_of(self, *path):
        return oct(os.stat(os.path.join(self.dir, *path)).st_mode & 0o777)

    def test_files_honour_the_umask_and_a_private_key_file_makes_a_private_queue(self):
        self.start_sim()
        self.write("m.yaml", mixed_manifest(2))
        r = self.run_with_umask(0o002, "--db", "open.db", env={"APIXO_API_KEY": KEY})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.mode_of("open.db"), "0o664")  # SQLite alone gives 0644 whatever the umask
        self.assertEqual(self.mode_of("renders", "mixed", "job00-t1.mp4"), "0o664")
        self.assertEqual(self.mode_of("renders", "mixed"), "0o775")

        key = self.write("key.txt", KEY + "\n")
        os.chmod(key, 0o600)
        self.write("p.yaml", mixed_manifest(2).replace("batch: mixed", "batch: private"))
        env = dict(os.environ, APIXO_API_KEY="")
        p = subprocess.Popen([REELQ, "run", "p.yaml", "--db", "private.db", "--api-key-file", key, "--api-base",
                              self.sim.base, "--time-scale", SCALE, "--max-concurrent", "1"], cwd=self.dir, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: os.umask(0o022))
        wal_mode = None
        while p.poll() is None and wal_mode is None:
            if os.path.exists(os.path.join(self.dir, "private.db-wal")):
                wal_mode = self.mode_of("private.db-wal")
            time.sleep(0.01)
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertEqual(self.mode_of("private.db"), "0o600")
        self.assertEqual(wal_mode, "0o600")  # SQLite gives its WAL the database's mode
        # A key file others can read says nothing: the umask decides again.
        os.chmod(key, 0o644)
        self.write("q.yaml", mixed_manifest(1).replace("batch: mixed", "batch: third"))
        r = subprocess.run([REELQ, "run", "q.yaml", "--db", "third.db", "--api-key-file", key, "--api-base",
                            self.sim.base, "--time-scale", SCALE], cwd=self.dir, env=env, capture_output=True,
                           text=True, timeout=120, preexec_fn=lambda: os.umask(0o077))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.mode_of("third.db"), "0o600")
        self.assertEqual(self.mode_of("renders", "third", "job00-t1.mp4"), "0o600")

    def test_a_batch_rendered_at_a_simulator_is_not_sent_on_to_a_real_api(self):
        """A trial found a practice run against `reelq sim` left the real batch 'done' with
        placeholder videos; pointed at the real API afterwards it rendered nothing."""
        self.start_sim()
        self.write("m.yaml", mixed_manifest(3))
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"batch mixed: draining at {self.sim.base} with", r.stdout)
        for cmd, args in (("run", ("m.yaml",)), ("resume", ("--batch", "mixed"))):
            r = run(cmd, *args, "--db", "q.db", "--api-base", "https://api.apixo.ai", cwd=self.dir,
                    env={"APIXO_API_KEY": KEY})
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)  # not 3: nothing was tried at the real API
            self.assertIn(f"reelq: batch mixed ran against {self.sim.base}, an API on this machine (a simulator?): 4 "
                          "takes were sent there, and the videos it made are placeholders counted as done. Refusing "
                          "to send the rest to https://api.apixo.ai. Give the real run its own queue and folder: "
                          f"reelq run {os.path.join(self.dir, 'm.yaml')} --db FILE --output-dir DIR", r.stderr)

    def test_a_stop_before_anything_was_sent_names_the_whole_command_again(self):
        """Ctrl-C during a slow balance check: the line to start again kept only the manifest, so a
        Free-plan user's --rpm and --max-concurrent fell back to the defaults."""
        self.start_sim("--slow-rate", "1", "--slow-seconds", f"{20 / float(SCALE):g}")  # 20 real seconds
        self.write("m.yaml", mixed_manifest(2))
        p = self.spawn_run("m.yaml", "--rpm", "10", "--on-ambiguous", "hold", stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        # The stop comes while the balance check waits on the slow answer: once the simulator has
        # the request (a fixed sleep raced reelq's own start-up under the sanitizers on a busy machine).
        deadline = time.monotonic() + 15
        while self.sim.stats()["total_requests"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 3, out + err)
        self.assertIn(f"run `reelq run {os.path.join(self.dir, 'm.yaml')} --db {os.path.join(self.dir, 'q.db')} "
                      f"--api-base {self.sim.base} --rpm 10 --on-ambiguous hold --time-scale {SCALE}` again", out)

    def test_run_again_after_a_result_file_was_deleted_fetches_it_before_saying_all_done(self):
        self.start_sim()
        self.write("m.yaml", mixed_manifest(3))
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        gone = os.path.join(self.dir, "renders", "mixed", "job01-t1.mp4")
        os.remove(gone)
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("job01 take 1: a result file is no longer on disk; fetching it again", r.stdout)
        self.assertTrue(os.path.exists(gone))
        self.assertEqual(self.sim.stats()["tasks_created"], 4)  # fetched again, never rendered again
        # A file cut short since is not the result either; the cut file is kept, the result saved beside it.
        cut = os.path.join(self.dir, "renders", "mixed", "job02-t1.mp4")
        with open(cut, "wb") as f:
            f.write(b"oops")
        self.assertIn("job02", self.reelq("status").stdout)
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("job02 take 1: a result file is no longer on disk; fetching it again", r.stdout)
        self.assertEqual(os.path.getsize(cut), 4)
        self.assertEqual(os.path.getsize(os.path.join(self.dir, "renders", "mixed", "job02-t1~2.mp4")), 11296)
        self.assertEqual(self.reelq("download").stdout, "every result is on disk\n")

    def test_log_json_writes_only_json_lines_that_jq_can_follow(self):
        self.start_sim()
        self.write("m.yaml", mixed_manifest(4, "  - id: bad\n    prompt: \"VIOLATEME now\"\n"))
        r = self.reelq_run("m.yaml", "--log-json")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = [json.loads(line) for line in r.stdout.splitlines()]  # every line is JSON
        self.assertTrue(all("event" in line for line in lines), lines)
        failed = [line for line in lines if line["event"] == "failed"]
        self.assertEqual([(f["job"], f["take"], f["fail_code"]) for f in failed], [("bad", 1, "CONTENT_VIOLATION")])
        self.assertTrue(failed[0]["task_id"].startswith("task_"))
        self.assertEqual(sorted(line["job"] for line in lines if line["event"] == "done"),
                         ["job00", "job00", "job01", "job02", "job03"])
        self.assertTrue(all("at" in line and "level" in line for line in lines), lines)
        started = [line["message"] for line in lines if line["event"] == "log"]
        self.assertTrue(any(m.startswith("balance $") for m in started), started)  # lost in JSON mode before
        self.assertTrue(any(m.startswith(f"batch mixed: draining at {self.sim.base}") for m in started), started)
        summary = lines[-1]
        self.assertEqual((summary["event"], summary["succeeded"], summary["failed"]), ("summary", 5, 1))
        self.assertEqual(summary["failures"], {"CONTENT_VIOLATION": 1})
        # Numbers, not prose, priced by the table; the same object in `status --json`.
        self.assertEqual(summary["spent"]["tasks"], 6)
        self.assertGreater(summary["spent"]["cost"], 0)
        self.assertEqual((summary["spent"]["currency"], summary["spent"]["possible_duplicates"]), ("USD", 0))
        self.assertTrue(summary["next"][0].startswith("CONTENT_VIOLATION: edit those jobs"))
        status = json.loads(self.reelq("status", "--json").stdout)
        self.assertEqual(status[0]["spend"], {k: v for k, v in summary["spent"].items() if k != "simulated"})

    def test_a_second_runner_on_the_same_database_is_refused(self):
        self.start_sim()
        self.write("m.yaml", mixed_manifest(12))
        p = self.spawn_run(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_for_tasks(p, 1)
        r = self.reelq_run(cmd="resume")
        p.wait(timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"another reelq (pid {p.pid}) is running batches from {os.path.join(self.dir, 'q.db')}", r.stderr)

    def test_exit_codes_failed_jobs_credits_and_refused_key(self):
        self.start_sim("--credits", "12")
        self.write("m.yaml", "batch: b\ndefaults: {duration: 8, size: 1280*720}\njobs:\n"
                   "  - prompt: \"VIOLATEME please\"\n" + "".join(f"  - prompt: \"p{i}\"\n" for i in range(8)))
        r = self.reelq_run("m.yaml", key="wrong-key")
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertIn("the API refused the key (HTTP 401)", r.stderr)
        self.assertIn("nothing was submitted", r.stderr)
        self.assertNotIn("wrong-key", r.stdout + r.stderr)
        # $12 pays for five 8-second 720p renders at $0.30/s: the run refuses to start...
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("balance $12.00 covers 5 of the 9 renders left (estimated $21.60", r.stderr)
        self.assertIn("Nothing was submitted", r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], 0)
        # ...unless told to render what it can.
        r = self.reelq_run("m.yaml", "--allow-partial")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("credits exhausted: ", r.stdout)
        db = self.db()
        # Submits go out several at once: which five reach the API before the credits end is the
        # API's order. Five tasks are made either way, and the other four wait for a top-up.
        self.assertEqual(self.sim.stats()["tasks_created"], 5)
        self.assertEqual(db.execute("SELECT count(*) FROM jobs WHERE state = 'queued'").fetchone()[0], 4)
        state, code = db.execute("SELECT state, fail_code FROM jobs WHERE input_json LIKE '%VIOLATEME%'").fetchone()
        if state == "failed":
            self.assertEqual(code, "CONTENT_VIOLATION")
            self.assertIn("failures: CONTENT_VIOLATION 1", r.stdout)
        else:
            self.assertEqual(state, "queued")
            self.assertIn("batch b: 5 succeeded, 0 failed, 4 left", r.stdout)

    def test_the_secrets_sweep_finds_a_key_that_was_written(self):
        """Every test ends with harness.sweep; it must be able to fail."""
        planted = os.path.join(self.dir, "renders", "leak.log")
        os.makedirs(os.path.dirname(planted))
        with open(planted, "w") as f:
            f.write("Authorization: Bearer " + KEY)
        self.assertEqual(sweep(self.dir, ["ok", "key=" + KEY]), [f"{planted}: {KEY}", f"output of run 2: {KEY}"])
        os.remove(planted)

    def test_the_key_is_never_written_anywhere(self):
        self.start_sim("--keys", "sk-live-SECRET123")
        self.write("m.yaml", mixed_manifest(3))
        r = self.reelq_run("m.yaml", key="sk-live-SECRET123")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("SECRET123", r.stdout + r.stderr)
        for name in os.listdir(self.dir):
            path = os.path.join(self.dir, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    self.assertNotIn(b"SECRET123", f.read(), name)

    def test_local_images_are_refused_before_anything_is_sent(self):
        self.start_sim()
        with open(os.path.join(os.path.dirname(__file__), "..", "manifests", "fixtures", "tiny.png"), "rb") as f:
            png = f.read()
        with open(os.path.join(self.dir, "face.png"), "wb") as f:
            f.write(png)
        self.write("m.yaml", "batch: b\njobs:\n  - id: face\n    prompt: p\n    images: [face.png]\n")
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        # Nothing can serve them: the message names the three ways.
        self.assertIn("names local image files (" + os.path.realpath(self.dir) + "/face.png)", r.stderr)
        self.assertIn("--public-url URL with --listen HOST:PORT", r.stderr)
        self.assertIn("settings.image_base_url", r.stderr)
        self.assertIn("write their public URLs in the manifest", r.stderr)
        self.assertEqual(self.sim.stats()["total_requests"], 0)
        # A refusal writes nothing: the batch is not in the queue.
        self.assertEqual(self.db().execute("SELECT count(*) FROM jobs").fetchone()[0], 0)

    def test_no_key_is_a_clear_usage_error(self):
        self.start_sim()
        self.write("m.yaml", mixed_manifest(1))
        r = run("run", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "reelq: no API key: set APIXO_API_KEY, pass --api-key-file PATH, or give a keys file "
                                   "with --keys FILE (or REELQ_KEYS)\n")


if __name__ == "__main__":
    main()
