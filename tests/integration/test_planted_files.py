"""Files planted where reelq writes (issue 17, items 7, 10, 11): names that arrive inside a cloned
repository as symbolic links, another program's database given as --db, a queue from a newer
reelq, and a second path (a link) to a database a runner drains. The victim files must keep their
bytes, and reelq must say what it refused."""
import http.server
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time

from harness import KEY, REELQ, main, run
from simharness import SCALE, Sim, SimRunTest

MANIFEST = """batch: night
defaults: {duration: 4, size: 1280*720}
jobs:
  - id: a
    prompt: "first"
  - id: b
    prompt: "second"
"""

REFUSAL = " is a symbolic link; reelq will not write through it (delete the link, or choose another name)"


class PlantedFiles(SimRunTest):
    def setUp(self):
        super().setUp()
        self.real = os.path.realpath(self.dir)  # what reelq names after following links
        self.victim = self.write("victim.txt", "precious\n")

    def plant(self, name):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(self.victim, path)
        return path

    def assert_victim_intact(self):
        with open(self.victim) as f:
            self.assertEqual(f.read(), "precious\n")

    def run_here(self, *args):
        """`reelq run` with the queue beside the manifest (no --db), as a cloned repository is run."""
        return run("run", *args, "--api-base", self.sim.base, "--time-scale", SCALE, cwd=self.dir,
                   env={"APIXO_API_KEY": KEY})

    def test_a_lock_file_planted_as_a_link_is_refused_by_run_and_enqueue(self):
        self.start_sim()
        self.write("m.yaml", MANIFEST)
        self.plant("reelq.db.lock")
        lock = os.path.join(self.real, "reelq.db.lock")
        r = self.run_here("m.yaml")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stderr, f"reelq: {lock}{REFUSAL}\n")
        e = run("enqueue", "m.yaml", cwd=self.dir)
        self.assertEqual(e.returncode, 2)
        self.assertEqual(e.stderr, f"reelq: {lock}{REFUSAL}; nothing was enqueued\n")
        self.assert_victim_intact()
        self.assertEqual(self.sim.stats()["total_requests"], 0)

    def test_a_rehearsals_lock_planted_as_a_link_is_named_as_a_link_not_as_a_running_rehearsal(self):
        self.write("m.yaml", MANIFEST)
        self.plant("renders/night.rehearsal/rehearsal.db.lock")
        lock = os.path.join(self.real, "renders", "night.rehearsal", "rehearsal.db.lock")
        r = run("run", "--rehearse", "m.yaml", "--time-scale", SCALE, cwd=self.dir, timeout=120)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stderr, f"reelq: {lock}{REFUSAL}\n")
        self.assert_victim_intact()

    def test_a_claim_file_planted_as_a_link_is_refused_before_anything_is_submitted(self):
        self.start_sim()
        self.write("m.yaml", MANIFEST)
        for name in ("renders/night/.reelq-queue.tmp", "renders/night/.reelq-queue"):
            with self.subTest(name=name):
                link = self.plant(name)
                r = self.run_here("m.yaml")
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(f"reelq: the output folder cannot be written: {self.dir}/{name}{REFUSAL}\n", r.stderr)
                self.assertTrue(os.path.islink(link))
                self.assert_victim_intact()
                self.assertEqual(self.sim.stats()["tasks_created"], 0)  # the balance was read; nothing submitted
                os.remove(link)

    def test_an_output_folder_reached_through_a_link_is_refused_unless_given_with_output_dir(self):
        """A trial linked renders/night (then renders) in a manifest's folder to a folder elsewhere:
        the run wrote its claim and every video there."""
        self.start_sim()
        self.write("m.yaml", MANIFEST)
        elsewhere = os.path.join(self.dir, "elsewhere")
        os.makedirs(os.path.join(elsewhere, "night"))
        os.makedirs(os.path.join(self.dir, "renders"))
        os.symlink(os.path.join(elsewhere, "night"), os.path.join(self.dir, "renders", "night"))
        r = self.run_here("m.yaml")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        out = os.path.join(self.real, "renders", "night")
        self.assertIn(f"reelq: the output folder {out} is a symbolic link to {elsewhere}/night: reelq does not write "
                      "through a link in the manifest's folder", r.stderr)
        os.remove(os.path.join(self.dir, "renders", "night"))
        os.rmdir(os.path.join(self.dir, "renders"))
        os.symlink(elsewhere, os.path.join(self.dir, "renders"))
        r = self.run_here("m.yaml")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"the output folder {out} is reached through {self.real}/renders, a symbolic link to "
                      f"{elsewhere}:", r.stderr)
        self.assertIn(f"Nothing was sent. Remove the link, or write there on purpose with --output-dir "
                      f"{os.path.realpath(elsewhere)}/night\n", r.stderr)
        self.assertEqual(os.listdir(os.path.join(elsewhere, "night")), [])
        self.assertEqual(self.sim.stats()["total_requests"], 0)
        # Given on purpose, the same folder is written to.
        r = self.run_here("m.yaml", "--output-dir", os.path.join(elsewhere, "night"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("a-t1.mp4", os.listdir(os.path.join(elsewhere, "night")))

    def test_a_temporary_download_planted_as_a_link_is_refused_and_the_result_is_no_link(self):
        self.start_sim()
        self.write("m.yaml", MANIFEST + "settings: {max_attempts: 2}\n")
        out = os.path.join(self.dir, "renders", "night")
        os.makedirs(out)
        planted = []

        def plant_for_own_pid():
            # In the child between fork and exec: exec keeps the pid, so this is reelq's own name.
            path = os.path.join(out, f".a-t1.mp4.{os.getpid()}.part")
            os.symlink(self.victim, path)

        env = dict(os.environ, APIXO_API_KEY=KEY)
        proc = subprocess.Popen([REELQ, "run", "m.yaml", "--api-base", self.sim.base, "--time-scale", SCALE],
                                cwd=self.dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=plant_for_own_pid)
        stdout, stderr = proc.communicate(timeout=180)
        part = os.path.join(out, f".a-t1.mp4.{proc.pid}.part")
        self.assertEqual(proc.returncode, 1, stdout + stderr)
        self.assertIn(f"{part}{REFUSAL}", stdout)
        self.assert_victim_intact()
        self.assertFalse(os.path.lexists(os.path.join(out, "a-t1.mp4")))
        self.assertTrue(os.path.isfile(os.path.join(out, "b-t1.mp4")))
        self.assertFalse(os.path.islink(os.path.join(out, "b-t1.mp4")))
        db = sqlite3.connect(os.path.join(self.dir, "reelq.db"))
        self.assertEqual(db.execute("SELECT state, fail_code FROM jobs WHERE job_id = 'a'").fetchone(),
                         ("failed", "DOWNLOAD_FAILED"))

    def test_a_queue_naming_an_api_no_run_of_this_user_chose_is_not_sent_the_key(self):
        """A trial edited a cloned project's reelq.db to name its own server: `reelq run` sent it the
        key (balance and five submits), with no flag given."""
        self.start_sim()
        heard = []

        class Catcher(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                heard.append(self.headers.get("Authorization"))
                self.send_response(500)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args):
                pass

        catcher = http.server.HTTPServer(("127.0.0.1", 0), Catcher)
        threading.Thread(target=catcher.serve_forever, daemon=True).start()
        self.addCleanup(catcher.server_close)
        self.addCleanup(catcher.shutdown)
        other = f"http://127.0.0.1:{catcher.server_address[1]}"
        self.write("m.yaml", MANIFEST)
        self.assertEqual(run("enqueue", "m.yaml", cwd=self.dir).returncode, 0)
        with sqlite3.connect(os.path.join(self.dir, "reelq.db")) as db:
            db.execute("UPDATE batches SET api_base = ?, time_scale = ?", (other, float(SCALE)))
        env = {"APIXO_API_KEY": KEY}
        refusal = (f"reelq: batch night: its queue says its last run went to the API {other}, but no run of yours "
                   "chose that (the queue may come from another machine or person, and the key goes with every "
                   f"request). Nothing was sent. If that API is yours, give --api-base {other} once; for the real "
                   "API, --api-base https://api.apixo.ai\n")
        for cmd in (["run", "m.yaml"], ["resume"]):
            r = run(*cmd, cwd=self.dir, env=env)
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertEqual(r.stderr, refusal)
        self.assertEqual(heard, [])
        # Named on purpose, an API is used and remembered: the next resume goes back to it unasked.
        r = run("run", "m.yaml", "--api-base", self.sim.base, "--time-scale", SCALE, cwd=self.dir, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with sqlite3.connect(os.path.join(self.dir, "reelq.db")) as db:
            db.execute("UPDATE jobs SET state = 'queued', task_id = NULL WHERE job_id = 'a'")
        r = run("resume", cwd=self.dir, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"draining at {self.sim.base}", r.stdout)
        self.assertEqual(heard, [])

    def test_a_queue_naming_an_output_folder_no_run_of_this_user_chose_is_not_written_to(self):
        """A trial edited a cloned reelq.db's output_dir to a folder outside the project: resume wrote
        the claim and the videos there without a word."""
        self.start_sim()
        self.write("m.yaml", MANIFEST)
        self.assertEqual(run("enqueue", "m.yaml", cwd=self.dir).returncode, 0)
        outside = tempfile.mkdtemp(prefix="reelq-outside-")
        self.addCleanup(shutil.rmtree, outside)
        target = os.path.join(outside, "victim")
        with sqlite3.connect(os.path.join(self.dir, "reelq.db")) as db:
            db.execute("UPDATE batches SET output_dir = ?", (target,))
        env = {"APIXO_API_KEY": KEY}
        args = ("--api-base", self.sim.base, "--time-scale", SCALE)
        r = run("resume", *args, cwd=self.dir, env=env)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stderr, f"reelq: the queue says the batch's results go to {target}, outside the manifest's "
                                   f"folder {self.real}, but no run of yours chose that folder (the queue may come "
                                   f"from another machine or person). Nothing was sent. If it is yours, give "
                                   f"--output-dir {target} once\n")
        self.assertFalse(os.path.exists(target))
        self.assertEqual(self.sim.stats()["tasks_created"], 0)
        # Chosen once with the flag, the folder is the batch's: a later resume goes back to it.
        r = run("resume", *args, "--output-dir", target, cwd=self.dir, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with sqlite3.connect(os.path.join(self.dir, "reelq.db")) as db:
            db.execute("UPDATE jobs SET state = 'queued', task_id = NULL WHERE job_id = 'a'")
        r = run("resume", *args, cwd=self.dir, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"files to {target}", r.stdout)

    def test_a_key_given_where_a_path_or_number_goes_is_not_printed_back(self):
        """`--api-key-file $APIXO_API_KEY` said "cannot read the API key file sk-..."."""
        self.write("m.yaml", MANIFEST)
        # Not the tests' key: this one is typed on command lines on purpose, which the sweep forbids.
        typed = "sk-typed-by-mistake-0000"
        env = {"APIXO_API_KEY": typed}
        for args in (["run", "m.yaml", "--api-key-file", typed], ["run", "m.yaml", "--keys", typed], ["run", typed],
                     ["run", "m.yaml", "--rpm", typed], ["run", "m.yaml", "--api-key", typed]):
            r = run(*args, cwd=self.dir, env=env)
            self.assertEqual(r.returncode, 2, (args, r.stdout + r.stderr))
            self.assertNotIn(typed, r.stdout + r.stderr)
        r = run("run", "m.yaml", "--api-key-file", typed, cwd=self.dir, env=env)
        self.assertEqual(r.stderr, "reelq: cannot read the API key file [not shown: it may be a key]: No such file or "
                                   "directory\n")

    def test_report_o_refuses_a_link(self):
        self.write("m.yaml", MANIFEST)
        self.assertEqual(run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir).returncode, 0)
        link = self.plant("night.html")
        r = run("report", "--db", "q.db", "-o", "night.html", cwd=self.dir)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, f"reelq: night.html{REFUSAL}\n")
        self.assertTrue(os.path.islink(link))
        self.assert_victim_intact()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class ForeignDatabases(SimRunTest):
    def test_another_programs_database_is_refused_unchanged(self):
        path = os.path.join(self.dir, "other.db")
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO notes (text) VALUES ('keep me')")
        db.commit()
        db.close()
        before = read_bytes(path)
        self.write("m.yaml", MANIFEST)
        for args in (("status", "--db", "other.db"), ("enqueue", "m.yaml", "--db", "other.db"),
                     ("report", "--db", "other.db")):
            with self.subTest(args=args):
                r = run(*args, cwd=self.dir)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stderr, f"reelq: {path} is not a reelq queue database (an SQLite database "
                                           "without reelq's tables); --db takes the queue's database file, e.g. "
                                           "reelq.db beside the manifest\n")
                self.assertEqual(read_bytes(path), before)
                # No journal beside it either (enqueue's other.db.lock is reelq's own file).
                self.assertEqual([n for n in os.listdir(self.dir) if n.endswith(("-wal", "-shm", "-journal"))], [])

    def test_a_queue_from_a_newer_reelq_is_refused_before_anything_is_written(self):
        self.start_sim()
        self.write("m.yaml", MANIFEST)
        self.assertEqual(run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir).returncode, 0)
        path = os.path.join(self.dir, "q.db")
        db = sqlite3.connect(path)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        db.execute("PRAGMA journal_mode = DELETE")  # as a newer reelq might leave it
        db.execute("PRAGMA user_version = 999")
        db.close()
        before = read_bytes(path)
        expected = (f"reelq: {path}: written by a newer reelq (schema version 999, this reelq knows up to {version}); "
                    "upgrade reelq to open it. Nothing was changed.\n")
        for r in (run("status", "--db", "q.db", cwd=self.dir), self.reelq_run("m.yaml"),
                  self.reelq_run("--batch", "night", cmd="resume")):
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertEqual(r.stderr, expected)
            self.assertEqual(read_bytes(path), before)
            self.assertFalse(os.path.exists(path + "-wal"))
        self.assertEqual(self.sim.stats()["total_requests"], 0)


class OneLockPerDatabase(SimRunTest):
    def test_a_second_runner_through_a_link_is_refused(self):
        # Renders of about 9 s: the first runner is still draining when the second one starts.
        self.sim = Sim("--time-scale", "0.05")
        self.write("m.yaml", MANIFEST)
        os.symlink("q.db", os.path.join(self.dir, "alias.db"))
        env = dict(os.environ, APIXO_API_KEY=KEY)
        first = subprocess.Popen([REELQ, "run", "m.yaml", "--db", "q.db", "--api-base", self.sim.base,
                                  "--time-scale", "0.05"], cwd=self.dir, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            lock = os.path.join(self.dir, "q.db.lock")
            deadline = time.monotonic() + 30
            while not (os.path.exists(lock) and read_bytes(lock).strip() == str(first.pid).encode()):
                self.assertLess(time.monotonic(), deadline, "the first runner never took its lock")
                self.assertIsNone(first.poll(), first.stderr.read() if first.poll() is not None else "")
                time.sleep(0.05)
            r = run("resume", "--db", "alias.db", "--batch", "night", "--api-base", self.sim.base,
                    "--time-scale", "0.05", cwd=self.dir, env={"APIXO_API_KEY": KEY})
            self.assertIsNone(first.poll(), "the first runner ended before the second one was tried")
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertEqual(r.stderr, f"reelq: another reelq (pid {first.pid}) is running batches from "
                                       f"{self.dir}/alias.db; wait for it to finish or stop it (Ctrl-C) first\n")
            self.assertFalse(os.path.exists(os.path.join(self.dir, "alias.db.lock")))
            s = run("status", "--db", "alias.db", "--json", cwd=self.dir)
            self.assertIn(f'"runner_pid":{first.pid}', s.stdout)
        finally:
            first.terminate()
            first.communicate(timeout=30)


if __name__ == "__main__":
    main()
