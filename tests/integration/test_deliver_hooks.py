"""`reelq deliver` (issue 21 item 4) and `--on-finish` / `--notify` (item 5), end to end through the
binary against `reelq sim` on 127.0.0.1."""
import contextlib
import csv
import hashlib
import http.server
import json
import os
import sqlite3
import subprocess
import threading
import time

from harness import KEY, REELQ, main, run
from simharness import SCALE, SimRunTest

MANIFEST = """batch: night
defaults: {duration: 4, size: 1280*720}
jobs:
  - id: skyline
    prompt: a skyline at dusk
    takes: 2
  - id: harbour
    prompt: boats in a harbour
"""


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Deliver(SimRunTest):
    def ran(self):
        self.start_sim()
        self.write("m.yaml", MANIFEST)
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def rows(self, folder):
        with open(os.path.join(self.dir, folder, "delivery.csv"), newline="") as f:
            return list(csv.DictReader(f))

    def test_every_succeeded_take_then_only_what_is_new(self):
        self.ran()
        r = self.reelq("deliver", "--to", "client")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("delivered 3 files to client (3 linked, 0 copied)", r.stdout)
        names = sorted(n for n in os.listdir(os.path.join(self.dir, "client")) if n != "delivery.csv")
        self.assertEqual(names, ["harbour-1.mp4", "skyline-1.mp4", "skyline-2.mp4"])
        rows = self.rows("client")
        self.assertEqual([(x["job"], x["take"], x["how"]) for x in rows],
                         [("skyline", "1", "link"), ("skyline", "2", "link"), ("harbour", "1", "link")])
        for x in rows:
            self.assertEqual(sha256(x["destination"]), x["sha256"])
            self.assertEqual(os.path.getsize(x["destination"]), int(x["bytes"]))
            self.assertEqual(os.stat(x["destination"]).st_ino, os.stat(x["source"]).st_ino)
        # Again: nothing new, nothing rewritten; a take the user removed comes back.
        os.remove(os.path.join(self.dir, "client", "harbour-1.mp4"))
        r = self.reelq("deliver", "--to", "client")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("delivered 1 file to client (1 linked, 0 copied); 2 files already there", r.stdout)
        self.assertEqual(len(self.rows("client")), 4)

    def test_picks_and_names(self):
        self.ran()
        marks = {"version": 1, "batch": "night", "marks": [
            {"job": "skyline", "take": 2, "mark": "pick"},
            {"job": "skyline", "take": 1, "mark": "reject"},
            {"job": "harbour", "take": 1, "mark": "star"}]}
        self.write("picks.json", json.dumps(marks))
        r = self.reelq("deliver", "--to", "keepers", "--picks", "picks.json", "--name", "{batch}_{job}_t{take}{ext}")
        self.assertEqual(r.returncode, 0, r.stderr)
        names = sorted(os.listdir(os.path.join(self.dir, "keepers")))
        self.assertEqual(names, ["delivery.csv", "night_harbour_t1.mp4", "night_skyline_t2.mp4"])
        # A picks file of another batch than --batch, a name that leaves the folder: refused, exit 2.
        r = self.reelq("deliver", "--to", "x", "--picks", "picks.json", "--batch", "other")
        self.assertEqual((r.returncode, r.stderr), (2, "reelq: picks.json holds marks of batch night, not of "
                                                       "--batch other\n"))
        r = self.reelq("deliver", "--to", "x", "--name", "../{job}")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "reelq: --name \"../{job}\": a file name cannot hold '/'\n")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x")))

    def test_a_rehearsals_placeholders_are_not_delivered_unless_asked(self):
        self.ran()
        # The queue marked as `reelq run --rehearse` marks its own database.
        db = sqlite3.connect(os.path.join(self.dir, "q.db"))
        db.execute("INSERT OR REPLACE INTO database_info (key, value) VALUES ('rehearsal', '1')")
        db.commit()
        db.close()
        r = self.reelq("deliver", "--to", "client")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("is a rehearsal's queue (reelq run --rehearse): its videos are the simulator's placeholders",
                      r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "client")))
        r = self.reelq("deliver", "--to", "client", "--from-rehearsal")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("delivered 3 files to client", r.stdout)
        # Its money is what the real run would cost: said in status, the JSON and the page.
        self.assertIn("(a rehearsal: simulated, nothing was charged)", self.reelq("status").stdout)
        report = json.loads(self.reelq("report", "--format", "json").stdout)
        self.assertTrue(report["batches"][0]["rehearsal"])
        self.assertIsNone(report["batches"][0]["balance"])  # the simulator's billion, not the user's balance
        self.assertIn("a rehearsal's queue: SPENT and POSSIBLY are simulated, nothing was charged",
                      self.reelq("batches").stdout)
        self.assertEqual(self.reelq("report", "-o", "r.html").returncode, 0)
        with open(os.path.join(self.dir, "r.html")) as f:
            html = f.read()
        self.assertIn("rendered by reelq's simulator. The videos are placeholders and nothing was charged", html)
        self.assertIn("simulated, nothing charged: 3 rendered takes", html)

    def test_a_different_file_under_the_name_is_never_overwritten(self):
        self.ran()
        self.write("client/skyline-1.mp4", "the client's own cut")
        r = self.reelq("deliver", "--to", "client")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "reelq: job skyline take 1 was not delivered: client/skyline-1.mp4 already holds "
                                   "something else (an edit?), and reelq never overwrites a delivered file. Leave it, "
                                   "or move it away and run this deliver again\n")
        # The other takes went in beside it: a folder being edited still takes new takes.
        self.assertIn("delivered 2 files to client", r.stdout)
        self.assertIn("1 file not delivered (below)", r.stdout)
        with open(os.path.join(self.dir, "client", "skyline-1.mp4")) as f:
            self.assertEqual(f.read(), "the client's own cut")

    def test_a_name_an_earlier_delivery_gave_another_take_is_a_clash_not_an_edit(self):
        self.ran()
        self.assertEqual(self.reelq("deliver", "--to", "client").returncode, 0)
        # As a delivery of batch "day" (same job ids, other videos) into the same folder leaves it:
        # the simulator's placeholders are all the same bytes, so the row and the file are made here.
        csv_path = os.path.join(self.dir, "client", "delivery.csv")
        with open(csv_path, newline="") as f:
            text = f.read()
        with open(csv_path, "w", newline="") as f:
            f.write(text.replace("night,skyline,1,", "day,skyline,1,"))
        os.remove(os.path.join(self.dir, "client", "skyline-1.mp4"))
        self.write("client/skyline-1.mp4", "day's skyline")
        r = self.reelq("deliver", "--to", "client")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "reelq: job skyline take 1 was not delivered: client/skyline-1.mp4 already holds "
                                   "batch day job skyline take 1, delivered there before (see delivery.csv), as "
                                   "--name '{job}-{take}' gives both the same name. Deliver this one with {batch} in "
                                   "--name, or into another folder\n")
        with open(os.path.join(self.dir, "client", "skyline-1.mp4")) as f:
            self.assertEqual(f.read(), "day's skyline")
        # A row no reelq wrote (a control byte in its batch) is never named back: an edit, as before.
        with open(csv_path, "w", newline="") as f:
            f.write(text.replace("night,skyline,1,", "d\x1b[2Jay,skyline,1,"))
        r = self.reelq("deliver", "--to", "client")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertNotIn("\x1b", r.stderr)
        self.assertIn("client/skyline-1.mp4 already holds something else (an edit?)", r.stderr)

    def test_a_damaged_result_is_left_out_and_the_advice_brings_it_back(self):
        self.ran()
        rows = {(x["job"], x["take"]): x for x in self.delivered_once()}
        damaged = rows[("skyline", "2")]["source"]
        with open(damaged, "r+b") as f:  # edited in place after the download: same size, other bytes
            f.write(b"EDITED")
        # A client folder made afresh: the damaged take must not show there, the others must.
        r = self.reelq("deliver", "--to", "client2")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("delivered 2 files to client2 (2 linked, 0 copied); 1 file not delivered (below)", r.stdout)
        self.assertTrue(r.stderr.startswith(f"reelq: job skyline take 2 was not delivered: its result {damaged} no "
                                            "longer holds what was downloaded (sha256 "), r.stderr)
        self.assertIn("it was edited or damaged since. Move it out of the output folder (or delete it), then `", r.stderr)
        self.assertIn(" download --db " + os.path.join(self.dir, "q.db") + " --batch night` fetches it again; then run "
                      "this deliver again\n", r.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(self.dir, "client2"))),
                         ["delivery.csv", "harbour-1.mp4", "skyline-1.mp4"])
        # The advice, followed: the file moved away, `reelq download`, deliver again.
        os.rename(damaged, os.path.join(self.dir, "kept-edit.mp4"))
        r = self.reelq("download", "--batch", "night")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.reelq("deliver", "--to", "client2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("delivered 1 file to client2 (1 linked, 0 copied); 2 files already there", r.stdout)
        row = self.rows("client2")[-1]
        self.assertEqual((row["job"], row["take"]), ("skyline", "2"))
        self.assertEqual(sha256(row["destination"]), rows[("skyline", "2")]["sha256"])

    def delivered_once(self):
        r = self.reelq("deliver", "--to", "client")
        self.assertEqual(r.returncode, 0, r.stderr)
        return self.rows("client")

    def test_copy_never_links(self):
        self.ran()
        r = self.reelq("deliver", "--to", "client", "--copy")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("delivered 3 files to client (0 linked, 3 copied)", r.stdout)
        for x in self.rows("client"):
            self.assertEqual(x["how"], "copy")
            self.assertNotEqual(os.stat(x["destination"]).st_ino, os.stat(x["source"]).st_ino)
            self.assertEqual(sha256(x["destination"]), x["sha256"])

    def test_a_link_a_file_or_reelqs_own_folder_is_refused_as_the_delivery_folder(self):
        self.ran()
        renders = os.path.realpath(os.path.join(self.dir, "renders", "night"))
        self.assertTrue(os.path.isdir(renders))
        os.mkdir(os.path.join(self.dir, "elsewhere"))
        os.symlink(os.path.join(self.dir, "elsewhere"), os.path.join(self.dir, "client"))
        self.write("client.mp4", "not a folder")
        for to, why in [("client", "it is a symbolic link (to "), ("client.mp4", "it is a file, not a folder"),
                        ("renders/night", "it is reelq's output folder " + renders),
                        ("renders/night/client", "it is inside reelq's output folder " + renders),
                        ("renders", "it holds reelq's output folder " + renders), (".", "it holds reelq's output")]:
            r = self.reelq("deliver", "--to", to)
            self.assertEqual(r.returncode, 2, (to, r.stderr))
            self.assertTrue(r.stderr.startswith(f"reelq: --to {to}: {why}"), (to, r.stderr))
            self.assertTrue(r.stderr.endswith("; nothing was delivered\n"), r.stderr)
        self.assertEqual(os.listdir(os.path.join(self.dir, "elsewhere")), [])
        self.assertFalse(os.path.exists(os.path.join(renders, "client")))
        self.assertFalse(os.path.exists(os.path.join(renders, "delivery.csv")))
        with open(os.path.join(self.dir, "client.mp4")) as f:
            self.assertEqual(f.read(), "not a folder")

    def test_a_delivery_list_planted_as_a_link_is_refused_and_its_target_unchanged(self):
        """A trial made DIR/delivery.csv a hard link to another file (reelq appended its rows there) and
        a symbolic link (exit 70, 'cannot read', as for a failing disk)."""
        self.ran()
        victim = self.write("victim.txt", "precious\n")
        for kind, plant, why in [("hard", os.link, "has other names (hard links); reelq will not write into it"),
                                 ("soft", os.symlink, "is a symbolic link; reelq will not write through it")]:
            with self.subTest(kind):
                to = os.path.join(self.dir, f"client-{kind}")
                os.mkdir(to)
                plant(victim, os.path.join(to, "delivery.csv"))
                r = self.reelq("deliver", "--to", to)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(f"{os.path.realpath(to)}/delivery.csv {why}", r.stderr)
                with open(victim) as f:
                    self.assertEqual(f.read(), "precious\n")
        # A FIFO under the name waited for a writer forever.
        to = os.path.join(self.dir, "client-fifo")
        os.mkdir(to)
        os.mkfifo(os.path.join(to, "delivery.csv"))
        r = self.reelq("deliver", "--to", to, timeout=30)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("delivery.csv is not a regular file; reelq will not read or write it", r.stderr)

    def test_clashing_names_and_bad_picks_say_what_to_change(self):
        self.ran()
        r = self.reelq("deliver", "--to", "client", "--name", "{job}")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "reelq: --name gives skyline.mp4 to two files (batch night job skyline take 1, and "
                                   "batch night job skyline take 2): add {take} to it ({take} tells the takes of one "
                                   "job apart): --name '{job}-{take}'; nothing was delivered\n")
        self.write("cut.json", '{"version": 1, "batch": "night", "marks": [\n  {"job": "skyline", "take": 1, ')
        r = self.reelq("deliver", "--to", "client", "--picks", "cut.json")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "cut.json:2:33: JSON syntax error: expected a member name in double quotes, found "
                                   "the end of the file; --picks takes the review page's export (a JSON file)\n")
        marks = [{"job": "skyline", "take": 1, "mark": "pick"}, {"job": "skyline", "take": 3, "mark": "pick"},
                 {"job": "sunset", "take": 1, "mark": "star"}, {"job": "harbor", "take": 1, "mark": "pick"}]
        self.write("picks.json", json.dumps({"version": 1, "batch": "night", "marks": marks}))
        r = self.reelq("deliver", "--to", "client", "--picks", "picks.json")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "reelq: the picks name 3 takes that are not succeeded takes of batch night: job "
                                   "harbor take 1 (not in the queue), job skyline take 3 (not in the queue), job "
                                   "sunset take 1 (not in the queue); nothing was delivered (marks made on another "
                                   "queue's page? pass --db with the queue the page was made from)\n")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "client")))


class _Hook(http.server.BaseHTTPRequestHandler):
    received = []
    delay = 0
    status = 204

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((dict(self.headers), body.decode()))
        time.sleep(_Hook.delay)
        self.send_response(_Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _webhook(status=204, delay=0):
    """A webhook on 127.0.0.1 answering `status` after `delay` s; yields its port. What it received
    stays in _Hook.received after the block."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received, _Hook.status, _Hook.delay = [], status, delay
    try:
        yield server.server_port
    finally:
        _Hook.delay, _Hook.status = 0, 204
        server.shutdown()
        server.server_close()


class FinishHooks(SimRunTest):
    def setUp(self):
        super().setUp()
        self.start_sim()
        self.write("m.yaml", MANIFEST)
        self.write("hook.sh", 'env > "$1/env.txt"; cat > "$1/stdin.json"; exit 3\n')

    def read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def test_on_finish_gets_the_summary_and_never_the_key(self):
        # The shell's own descriptors first: none of reelq's (the queue, its WAL, its lock).
        hook = f"ls -l /proc/$$/fd > {self.dir}/fds.txt; sh {self.dir}/hook.sh {self.dir}"
        r = self.reelq_run("m.yaml", "--on-finish", hook)
        self.assertEqual(r.returncode, 0, r.stderr)  # the hook's own exit 3 changes nothing
        self.assertIn("reelq: --on-finish: the command exited with status 3", r.stderr)
        env = dict(line.split("=", 1) for line in self.read("env.txt").splitlines() if "=" in line)
        self.assertEqual((env["REELQ_EXIT"], env["REELQ_DONE"], env["REELQ_FAILED"], env["REELQ_COMMAND"]),
                         ("0", "3", "0", "run"))
        self.assertIn("night: ", env["REELQ_SPENT"])
        # Absolute: a hook run from elsewhere (cron starts in /) finds the queue and writes the report beside it.
        self.assertEqual(env["REELQ_DB"], os.path.join(os.path.abspath(self.dir), "q.db"))
        self.assertIn("report --db", env["REELQ_REPORT_COMMAND"])
        self.assertTrue(env["REELQ_REPORT_COMMAND"].endswith(
            " -o " + os.path.join(os.path.abspath(self.dir), "report.html")), env["REELQ_REPORT_COMMAND"])
        self.assertNotIn("APIXO_API_KEY", env)
        self.assertNotIn(KEY, self.read("env.txt"))
        summary = json.loads(self.read("stdin.json"))
        self.assertEqual((summary["exit"], summary["succeeded"], summary["batches"][0]["batch"]), (0, 3, "night"))
        self.assertNotIn(KEY, self.read("stdin.json"))
        # (dash keeps copies of its own at 10 and up while it redirects: those point at 0-2's files.)
        fds = {line.split()[8]: line.split(" -> ")[1] for line in self.read("fds.txt").splitlines() if " -> " in line}
        self.assertTrue(fds["0"].startswith("pipe:"), fds)
        for fd, target in fds.items():
            self.assertFalse(target.startswith(self.dir) and not target.endswith("fds.txt"), (fd, target))

    def test_in_a_log_taking_both_streams_the_hooks_lines_come_after_the_summary(self):
        env = dict(os.environ, APIXO_API_KEY=KEY)
        r = subprocess.run([REELQ, "run", "m.yaml", "--db", "q.db", "--api-base", self.sim.base, "--time-scale", SCALE,
                            "--on-finish", "echo HOOK-RAN"], cwd=self.dir, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=180)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("batch night: 3 succeeded", r.stdout)
        self.assertLess(r.stdout.index("batch night: 3 succeeded"), r.stdout.index("HOOK-RAN"), r.stdout)

    def test_a_hook_that_hangs_is_killed_and_the_run_ends_as_it_would(self):
        started = time.monotonic()
        r = self.reelq_run("m.yaml", "--on-finish", "sleep 300", "--hook-timeout", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("reelq: --on-finish: the command was still running after 1 s and was killed", r.stderr)
        self.assertLess(time.monotonic() - started, 120)  # the harness's own bound, not a measurement

    def test_notify_posts_the_same_json_without_the_key(self):
        with _webhook() as port:
            url = f"http://127.0.0.1:{port}/hook"
            r = self.reelq_run("m.yaml", "--notify", url)
            self.assertEqual(r.returncode, 0, r.stderr)
            # A resume with nothing left still says so.
            r = self.reelq_run("--notify", url, cmd="resume")
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(_Hook.received), 2)
        headers, body = _Hook.received[0]
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertNotIn(KEY, json.dumps(headers) + body)
        summary = json.loads(body)
        self.assertEqual((summary["command"], summary["exit"], summary["succeeded"]), ("run", 0, 3))
        self.assertEqual(json.loads(_Hook.received[1][1])["command"], "resume")

    def test_the_webhook_url_can_come_from_the_environment_and_stay_off_the_command_line(self):
        with _webhook() as port:
            url = f"http://127.0.0.1:{port}/hooks/T0KEN-in-path"
            # A copy of the URL under another name is a secret too: the hook gets neither.
            r = run("run", "m.yaml", "--db", "q.db", "--api-base", self.sim.base, "--time-scale", SCALE,
                    "--on-finish", f"env > {self.dir}/hook-env.txt", cwd=self.dir,
                    env={"APIXO_API_KEY": KEY, "REELQ_NOTIFY": url, "MY_WEBHOOK": url})
            self.assertEqual(r.returncode, 0, r.stderr)
            # A bad one is refused as the flag's would be, before anything is enqueued.
            bad = run("resume", "--db", "q.db", cwd=self.dir,
                      env={"APIXO_API_KEY": KEY, "REELQ_NOTIFY": "ftp://files.example/T0KEN"})
            self.assertEqual(bad.returncode, 2, bad.stderr)
            self.assertNotIn("T0KEN", bad.stdout + bad.stderr)
        self.assertEqual(len(_Hook.received), 1)
        self.assertEqual(json.loads(_Hook.received[0][1])["succeeded"], 3)
        self.assertNotIn("T0KEN", r.stdout + r.stderr)
        hook_env = self.read("hook-env.txt")
        self.assertIn("REELQ_DONE=3", hook_env)
        self.assertNotIn("T0KEN", hook_env)

    def test_a_webhook_that_fails_or_hangs_changes_nothing_and_its_secret_path_is_not_printed(self):
        with _webhook(status=500) as port:
            url = f"http://127.0.0.1:{port}/hooks/T0KEN-in-path"
            r = self.reelq_run("m.yaml", "--notify", url)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"reelq: --notify: http://127.0.0.1:{port} answered HTTP 500", r.stderr)
            _Hook.delay = 5
            r = self.reelq_run("--notify", url, "--hook-timeout", "1", cmd="resume")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("did not answer within 1 s", r.stderr)
            self.assertNotIn("T0KEN", r.stdout + r.stderr)

    def test_a_notify_url_that_could_never_be_posted_to_is_refused_before_anything_is_enqueued(self):
        for url in ("hooks.example/services/T0KEN", "ftp://files.example/T0KEN", "https:///T0KEN",
                    "https://user:s3cret@/T0KEN"):
            r = self.reelq_run("m.yaml", "--notify", url)
            self.assertEqual(r.returncode, 2, (url, r.stderr))
            self.assertIn("reelq: --notify needs an http:// or https:// URL with a host", r.stderr)
            self.assertIn("nothing was enqueued or sent", r.stderr)
            self.assertNotIn("T0KEN", r.stdout + r.stderr)
            self.assertNotIn("s3cret", r.stdout + r.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "q.db")), url)
            self.assertEqual(self.sim.stats()["total_requests"], 0, url)
        r = self.reelq_run("--notify", "ftp://files.example/T0KEN", cmd="resume")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--notify needs an http:// or https:// URL with a host (got ftp://)", r.stderr)

    def test_a_webhooks_user_and_password_go_as_basic_auth_and_are_never_printed(self):
        with _webhook(status=500) as port:
            url = f"http://hookuser:s3cret@127.0.0.1:{port}/hooks/T0KEN-in-path"
            r = self.reelq_run("m.yaml", "--notify", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"reelq: --notify: http://127.0.0.1:{port} answered HTTP 500", r.stderr)
        for secret in ("s3cret", "T0KEN", "hookuser", "aG9va3VzZXI6czNjcmV0"):
            self.assertNotIn(secret, r.stdout + r.stderr)
        self.assertEqual(len(_Hook.received), 1)
        headers, _ = _Hook.received[0]
        self.assertEqual(headers["Authorization"], "Basic aG9va3VzZXI6czNjcmV0")  # base64("hookuser:s3cret")

    def test_a_night_stopped_with_work_left_names_each_batch_not_drained(self):
        # The key refused at the start: the batch is enqueued, nothing renders, exit 4. The report
        # once said "left": 0 and no batch at all.
        r = self.reelq_run("m.yaml", "--on-finish", f"sh {self.dir}/hook.sh {self.dir}", key="wrong-key")
        self.assertEqual(r.returncode, 4, r.stderr)
        env = dict(line.split("=", 1) for line in self.read("env.txt").splitlines() if "=" in line)
        self.assertEqual((env["REELQ_EXIT"], env["REELQ_LEFT"], env["REELQ_NOT_DRAINED"], env["REELQ_BATCHES"]),
                         ("4", "3", "night:3", "night"))
        summary = json.loads(self.read("stdin.json"))
        self.assertEqual((summary["left"], summary["not_drained"]),
                         (3, [{"batch": "night", "end": "not_drained", "left": 3}]))
        self.assertEqual(summary["batches"][0]["end"], "not_drained")
        self.assertEqual(summary["batches"][0]["left"], 3)
        # Finished with the right key: nothing left, nothing named.
        r = self.reelq_run("--on-finish", f"sh {self.dir}/hook.sh {self.dir}", cmd="resume")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(self.read("stdin.json"))
        self.assertEqual((summary["left"], summary["not_drained"], summary["succeeded"]), (0, [], 3))
        self.assertEqual(summary["batches"][0]["end"], "finished")

    def test_a_hanging_hook_and_a_hanging_webhook_share_one_deadline(self):
        with _webhook(delay=20) as port:
            url = f"http://127.0.0.1:{port}/hook"
            hook = f"date +%s.%N > {self.dir}/started; exec sleep 300"
            r = self.reelq_run("m.yaml", "--on-finish", hook, "--notify", url, "--hook-timeout", "4")
            ended = time.time()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("reelq: --on-finish: the command was still running after 4 s and was killed", r.stderr)
        self.assertIn(f"reelq: --notify: http://127.0.0.1:{port} did not answer within 4 s; abandoned",
                      r.stderr)
        self.assertEqual(len(_Hook.received), 1)  # the webhook went out while the hook hung
        self.assertEqual(json.loads(_Hook.received[0][1])["succeeded"], 3)
        waited = ended - float(self.read("started"))
        # One deadline, not one after the other (8 s and more); a loose bound, not a measurement.
        self.assertLess(waited, 2 * 4)

    def test_a_rehearsal_says_it_runs_no_hooks(self):
        r = run("run", "m.yaml", "--rehearse", "--time-scale", SCALE, "--on-finish", f"touch {self.dir}/ran",
                "--notify", "http://127.0.0.1:9/never", cwd=self.dir, timeout=180)
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)  # 1: a take the simulator failed
        self.assertEqual(r.stdout.count("a rehearsal: --on-finish and --notify not run\n"), 1, r.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "ran")))
        r = run("run", "m.yaml", "--rehearse", "--notify", "ftp://x.example/T0KEN", cwd=self.dir)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertNotIn("T0KEN", r.stdout + r.stderr)


if __name__ == "__main__":
    main()
