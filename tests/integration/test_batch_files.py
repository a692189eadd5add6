"""Issue 12, items 1, 3, 4 and 6: the queue follows the batch, not the shell's folder; one file per
take; a file reelq did not write is never replaced; a batch's downloaded files stay recorded where
they are. Each test reproduces the finding as the issue describes it, against `reelq sim`."""
import json
import os
import signal
import subprocess
import time

from harness import KEY, REELQ, main, run
from simharness import SCALE, SimRunTest

MANIFEST = "batch: night\njobs:\n" + "".join(f"  - id: shot{i}\n    prompt: \"scene {i}\"\n" for i in range(4))


class BatchFiles(SimRunTest):
    def setUp(self):
        super().setUp()
        self.start_sim()
        self.night = os.path.join(self.dir, "night")
        self.elsewhere = os.path.join(self.dir, "elsewhere")
        os.makedirs(self.elsewhere)
        self.write("night/t.yaml", MANIFEST)

    def reelq_at(self, cwd, *args, env=None, timeout=180):
        """reelq with no --db of its own, against the simulator when it runs or resumes."""
        full = {"APIXO_API_KEY": KEY, **(env or {})}
        if args[0] in ("run", "resume"):
            args = (*args, "--api-base", self.sim.base, "--time-scale", SCALE)
        return run(*args, cwd=cwd, env=full, timeout=timeout)

    def renders(self, *parts):
        d = os.path.join(self.night, "renders", "night", *parts)
        return sorted(n for n in os.listdir(d) if n.endswith(".mp4")) if os.path.isdir(d) else []

    # Item 1 ------------------------------------------------------------------------------------

    def test_the_same_manifest_run_from_another_folder_is_not_rendered_again(self):
        r = self.reelq_at(self.night, "run", "t.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.reelq_at(self.elsewhere, "run", "../night/t.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"files to {os.path.join(self.night, 'renders', 'night')}\n", r.stdout)
        self.assertEqual(self.sim.stats()["tasks_created"], 4)
        self.assertFalse(os.path.exists(os.path.join(self.elsewhere, "reelq.db")))
        self.assertTrue(os.path.exists(os.path.join(self.night, "reelq.db")))
        self.assertEqual(len(self.renders()), 4)

    def test_another_database_for_a_folder_with_the_batchs_results_is_refused_before_anything_is_sent(self):
        r = self.reelq_at(self.elsewhere, "run", "../night/t.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        requests = self.sim.stats()["total_requests"]
        owner = os.path.join(self.night, "reelq.db")
        for how in (("--db", "other.db"), ()):
            env = {"REELQ_DB": "env.db"} if not how else None
            r = self.reelq_at(self.elsewhere, "run", "../night/t.yaml", *how, env=env)
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            # The queue beside the manifest holds the batch: that is said first (the output folder's claim
            # would refuse it next, and still does when the batch's queue is not beside its manifest).
            self.assertIn(f"batch night is in the queue beside its manifest, {owner}; the queue this command was "
                          "given", r.stderr)
            self.assertIn("would render and pay for every take again. Nothing was sent.", r.stderr)
            self.assertEqual(self.sim.stats()["total_requests"], requests, "nothing may be sent")
        self.assertFalse(os.path.exists(os.path.join(self.elsewhere, "other.db")))
        self.assertFalse(os.path.exists(os.path.join(self.elsewhere, "env.db")))

    def test_a_queue_kept_apart_from_its_manifest_is_guarded_by_the_output_folders_claim(self):
        first = os.path.join(self.elsewhere, "first.db")
        r = self.reelq_at(self.elsewhere, "run", "../night/t.yaml", "--db", first)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        requests = self.sim.stats()["total_requests"]
        r = self.reelq_at(self.elsewhere, "run", "../night/t.yaml", "--db", "second.db")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("holds results of batch night from another queue", r.stderr)
        self.assertIn(first, r.stderr)
        self.assertEqual(self.sim.stats()["total_requests"], requests, "nothing may be sent")
        self.assertFalse(os.path.exists(os.path.join(self.elsewhere, "second.db")))

    def test_REELQ_DB_names_the_queue_and_a_flag_wins_over_it(self):
        env = {"REELQ_DB": os.path.join(self.dir, "env.db")}
        r = self.reelq_at(self.elsewhere, "run", "../night/t.yaml", env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "env.db")))
        self.assertFalse(os.path.exists(os.path.join(self.night, "reelq.db")))
        r = self.reelq_at(self.elsewhere, "status", env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("night", r.stdout)
        r = self.reelq_at(self.elsewhere, "status", "--db", "nowhere.db", env=env)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("nowhere.db", r.stderr)

    def test_morning_commands_find_the_queue_from_the_manifest_folder_and_the_output_folder(self):
        r = self.reelq_at(self.elsewhere, "run", "../night/t.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for cwd in (self.night, os.path.join(self.night, "renders", "night")):
            r = self.reelq_at(cwd, "status")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(os.path.join(self.night, "reelq.db"), r.stdout)
            self.assertRegex(r.stdout, r"night\s+4\s")
        r = self.reelq_at(self.elsewhere, "status")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("REELQ_DB", r.stderr)

    def test_the_resume_line_after_ctrl_c_names_the_database_used_and_works_from_anywhere(self):
        big = "batch: night\njobs:\n" + "".join(f"  - prompt: \"scene {i}\"\n" for i in range(16))
        self.write("night/t.yaml", big)
        env = dict(os.environ, APIXO_API_KEY=KEY)
        p = subprocess.Popen([REELQ, "run", "../night/t.yaml", "--api-base", self.sim.base, "--time-scale", SCALE],
                             cwd=self.elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for_tasks(p, 1)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 3, out + err)
        line = [l for l in out.splitlines() if "Continue with: " in l][0].split("Continue with: ")[1]
        self.assertEqual(line, f"reelq resume --db {os.path.join(self.night, 'reelq.db')} --batch night")
        r = run(*line.split()[1:], "--api-base", self.sim.base, "--time-scale", SCALE, cwd=self.dir,
                env={"APIXO_API_KEY": KEY}, timeout=180)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], 16)

    def test_a_queue_left_in_the_current_folder_by_an_older_reelq_is_not_forgotten(self):
        # Older reelq kept ./reelq.db wherever it was started: it must not be silently replaced by a
        # new queue beside the manifest, which would render the batch again.
        r = self.reelq_at(self.elsewhere, "enqueue", "../night/t.yaml", "--db", "reelq.db")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.reelq_at(self.elsewhere, "run", "../night/t.yaml")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("reelq.db in the current folder already holds batch night", r.stderr)
        self.assertEqual(self.sim.stats()["total_requests"], 0)
        self.assertFalse(os.path.exists(os.path.join(self.night, "reelq.db")))

    def test_a_second_rehearsal_owns_the_rehearsal_folder_and_duplicates_nothing(self):
        for _ in range(2):
            r = run("run", "--rehearse", "t.yaml", "--time-scale", "0.01", cwd=self.night, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        folder = os.path.join(self.night, "renders", "night.rehearsal")
        self.assertEqual(sorted(n for n in os.listdir(folder) if n.endswith(".mp4")),
                         [f"shot{i}-t1.mp4" for i in range(4)])

    # Item 3 ------------------------------------------------------------------------------------

    def test_a_take_and_a_job_named_like_it_get_a_file_each(self):
        self.write("night/t.yaml", "batch: night\njobs:\n  - id: clip\n    prompt: a\n    takes: 2\n"
                   "  - id: clip-t1\n    prompt: b\n")
        r = self.reelq_at(self.night, "run", "t.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], 3)
        self.assertEqual(len(self.renders()), 3, self.renders())
        db = self.sqlite(os.path.join(self.night, "reelq.db"))
        paths = [p for (p,) in db.execute("SELECT path FROM files")]
        self.assertEqual(len(set(paths)), 3, paths)

    def test_job_ids_that_differ_only_in_case_are_refused_at_their_place(self):
        self.write("night/t.yaml", "batch: night\njobs:\n  - id: Clip\n    prompt: a\n  - id: clip\n    prompt: b\n")
        r = self.reelq_at(self.night, "validate", "t.yaml")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stderr, "t.yaml:5:9: job id 'clip' differs from 'Clip' (line 3) only in case; their "
                                   "files would be one file on a case-insensitive disk\n")

    # Item 4 ------------------------------------------------------------------------------------

    def test_a_file_reelq_did_not_write_is_kept_and_the_result_saved_beside_it(self):
        self.write("night/t.yaml", "batch: night\njobs:\n  - id: clip\n    prompt: a\n    takes: 2\n")
        self.write("night/renders/night/clip-t1.mp4", "last night's keeper")
        r = self.reelq_at(self.night, "run", "t.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(self.night, "renders", "night", "clip-t1.mp4")) as f:
            self.assertEqual(f.read(), "last night's keeper")
        self.assertEqual(self.renders(), ["clip-t1.mp4", "clip-t1~2.mp4", "clip-t2.mp4"])
        self.assertIn("clip take 1: clip-t1.mp4 was already in the output folder and reelq did not write it; "
                      "kept it and saved this result as clip-t1~2.mp4", r.stdout)
        db = self.sqlite(os.path.join(self.night, "reelq.db"))
        self.assertEqual(db.execute("SELECT path FROM files JOIN jobs ON jobs.id = files.job WHERE take = 1")
                         .fetchone()[0], "clip-t1~2.mp4")
        messages = [m for (m,) in db.execute("SELECT message FROM events WHERE endpoint = 'download'")]
        self.assertTrue(any("saved this result as clip-t1~2.mp4" in m for m in messages), messages)

    # Item 6 ------------------------------------------------------------------------------------

    def test_resume_with_another_output_dir_keeps_downloaded_files_where_they_are(self):
        big = "batch: night\njobs:\n" + "".join(f"  - prompt: \"scene {i}\"\n" for i in range(16))
        self.write("night/t.yaml", big)
        env = dict(os.environ, APIXO_API_KEY=KEY)
        p = subprocess.Popen([REELQ, "run", "t.yaml", "--api-base", self.sim.base, "--time-scale", SCALE],
                             cwd=self.night, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while len(self.renders()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=10)
        first = self.renders()
        self.assertGreaterEqual(len(first), 3)
        moved = os.path.join(self.dir, "big-disk")
        r = self.reelq_at(self.night, "resume", "--output-dir", moved)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        old = os.path.join(self.night, "renders", "night")
        self.assertIn(f"reelq: batch night now sends its results to {moved}; the files already downloaded stay "
                      f"in {old}\n", r.stderr)
        self.assertIn(f"files: {moved} (and, downloaded before the batch moved there, {old})\n", r.stdout)
        self.assertEqual(self.renders(), first, "files already downloaded stay where they are")
        later = sorted(n for n in os.listdir(moved) if n.endswith(".mp4"))
        self.assertEqual(len(later) + len(first), 16, later)
        self.assertFalse(set(later) & set(first), "nothing is fetched twice")
        r = self.reelq_at(self.night, "status")
        self.assertNotIn("not on disk", r.stdout)
        r = self.reelq_at(self.night, "download")
        self.assertIn("every result is on disk", r.stdout)
        self.assertEqual(self.sim.stats()["tasks_created"], 16)
        r = self.reelq_at(self.night, "report", "--format", "json")
        files = [f["file"] for take in json.loads(r.stdout)["batches"][0]["jobs"] for f in take["files"]]
        # Relative to the batch's folder (now big-disk), or absolute where written before the move.
        self.assertEqual(sorted(f for f in files if os.path.isabs(f)), [os.path.join(old, n) for n in first])
        self.assertEqual(sorted(f for f in files if not os.path.isabs(f)), later)

    def test_resume_of_a_finished_batch_with_another_output_dir_reports_nothing_missing(self):
        r = self.reelq_at(self.night, "run", "t.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.reelq_at(self.night, "resume", "--batch", "night", "--output-dir", os.path.join(self.dir, "x"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.reelq_at(self.night, "status")
        self.assertNotIn("not on disk", r.stdout)
        r = self.reelq_at(self.night, "download")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("every result is on disk", r.stdout)
        self.assertEqual(self.sim.stats()["tasks_created"], 4)

    def sqlite(self, path):
        import sqlite3
        return sqlite3.connect(path)


if __name__ == "__main__":
    main()
