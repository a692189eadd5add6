"""Callback mode and reelq's listener, end to end against `reelq sim` on 127.0.0.1."""
import functools
import hashlib
import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time

from harness import REELQ, SOURCE, main, run
from simharness import SCALE, SimRunTest
from test_run_e2e import mixed_manifest

TINY_PNG = os.path.join(SOURCE, "tests", "manifests", "fixtures", "tiny.png")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_request(port, method, target, body=None, headers=None):
    """Sends the request target exactly as given (no normalising); returns (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.putrequest(method, target, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        if body is not None:
            c.send(body)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def oversized(port, target, chunked):
    """A body over 1 MB, announced by Content-Length (never sent) or sent chunked."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.putrequest("POST", target, skip_accept_encoding=True)
        if chunked:
            c.putheader("Transfer-Encoding", "chunked")
            c.endheaders()
            size = 1024 * 1024 + 1
            try:
                c.send(b"%x\r\n" % size + b"{" * size + b"\r\n0\r\n\r\n")
            except OSError:
                pass
        else:
            c.putheader("Content-Length", str(1024 * 1024 + 1))
            c.endheaders()
        return c.getresponse().status
    finally:
        c.close()


class ListenTest(SimRunTest):
    def token(self):
        for _ in range(200):
            try:
                row = self.db().execute("SELECT listen_token FROM batches").fetchone()
                if row and row[0]:
                    return row[0]
            except Exception:
                pass
            time.sleep(0.02)
        self.fail("no listen token in the database")


class CallbackMode(ListenTest):
    def listen_args(self):
        self.port = free_port()
        return ["--listen", f"127.0.0.1:{self.port}", "--public-url", f"http://127.0.0.1:{self.port}/"]

    def api_requests(self, stats):
        return sum(n for ep in ("generateTask", "statusTask") for n in stats["requests"].get(ep, {}).values())

    def test_a_mixed_batch_completes_with_about_two_requests_per_job(self):
        self.start_sim("--seed", "4")
        self.write("m.yaml", mixed_manifest(20))
        r = self.reelq_run("m.yaml", "--mode", "callback", *self.listen_args())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("batch mixed: 22 succeeded, 0 failed", r.stdout)
        self.assertIn(f"listening on 127.0.0.1:{self.port} for callbacks, reached at http://127.0.0.1:{self.port}\n",
                      r.stdout)
        stats = self.sim.stats()
        self.assertEqual(stats["tasks_created"], 22)
        self.assertGreaterEqual(stats["callbacks"]["delivered"], 22)
        per_job = self.api_requests(stats) / 22
        self.assertLessEqual(per_job, 3.0, stats["requests"])
        # The body sent carries the callback URL with the batch's token, and request_type callback.
        body = json.loads(self.db().execute("SELECT request_body FROM jobs LIMIT 1").fetchone()[0])
        self.assertEqual(body["request_type"], "callback")
        self.assertEqual(body["callback_url"], f"http://127.0.0.1:{self.port}/cb/{self.token()}")
        self.assertEqual(len(self.token()), 64)

    def test_lost_late_and_doubled_callbacks_still_finish_every_job_once(self):
        self.start_sim("--seed", "11", "--fault-callback-lost", "0.25", "--fault-callback-late", "0.25",
                       "--fault-callback-twice", "0.25")
        self.write("m.yaml", mixed_manifest(24))
        r = self.reelq_run("m.yaml", "--mode", "callback", *self.listen_args())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        db = self.db()
        self.assertEqual(db.execute("SELECT count(*) FROM jobs WHERE state = 'succeeded'").fetchone()[0], 27)
        stats = self.sim.stats()
        self.assertEqual(stats["tasks_created"], 27)
        self.assertEqual(stats["max_tasks_per_input"], 2)  # job00 etc. have two takes; nothing more
        cb = stats["callbacks"]
        self.assertGreater(cb["lost"], 0)
        self.assertGreater(cb["late"], 0)
        self.assertGreater(cb["twice"], 0)
        self.assertEqual(db.execute("SELECT count(*) FROM files WHERE sha256 IS NOT NULL").fetchone()[0], 27)

    def test_forged_and_bogus_callbacks_change_no_outcome(self):
        # Renders of about 10 s, so the forgeries arrive while every task is still rendering.
        self.start_sim("--seed", "2", "--mean-render", "2000")
        self.write("m.yaml", mixed_manifest(6))
        listen = self.listen_args()
        p = self.spawn_run("m.yaml", "--mode", "callback", *listen, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        token = self.token()
        tasks = []
        for _ in range(300):
            tasks = [t for (t,) in self.db().execute("SELECT task_id FROM jobs WHERE state = 'running'")]
            if len(tasks) >= 5:
                break
            time.sleep(0.02)
        self.assertGreaterEqual(len(tasks), 5)
        cb = f"/cb/{token}"
        for t in tasks:
            forged_success = {"code": 200, "message": "success", "data": {
                "taskId": t, "state": "success", "resultJson": json.dumps({"resultUrls": ["http://127.0.0.1:9/evil.mp4"]}),
                "costTime": 1, "createTime": 1, "completeTime": 2}}
            forged_failure = {"code": 200, "message": "success", "data": {
                "taskId": t, "state": "failed", "failCode": "CONTENT_VIOLATION", "failMsg": "forged"}}
            for forged in (forged_success, forged_failure):
                status, _, body = raw_request(self.port, "POST", cb, json.dumps(forged).encode())
                self.assertEqual((status, body), (200, b""))
        # An unknown task: answered 200, ignored.
        unknown = {"code": 200, "data": {"taskId": "task_nobody", "state": "success"}}
        self.assertEqual(raw_request(self.port, "POST", cb, json.dumps(unknown).encode())[0], 200)
        # Not a status envelope: 400. A wrong token: 404 with nothing said.
        self.assertEqual(raw_request(self.port, "POST", cb, b"\x00garbage{")[0], 400)
        self.assertEqual(raw_request(self.port, "POST", cb, b'{"code":200,"data":{"state":"success"}}')[0], 400)
        status, _, body = raw_request(self.port, "POST", "/cb/" + "0" * 64, json.dumps(unknown).encode())
        self.assertEqual((status, body), (404, b""))
        # Over 1 MB: 413, whatever it holds.
        self.assertEqual(oversized(self.port, cb, chunked=False), 413)
        self.assertEqual(oversized(self.port, cb, chunked=True), 413)
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn("refused a callback that is not a status envelope", out + err)
        db = self.db()
        self.assertEqual(db.execute("SELECT count(*) FROM jobs WHERE state = 'succeeded'").fetchone()[0], 7)
        for (urls,) in db.execute("SELECT result_urls FROM jobs"):
            for u in json.loads(urls):
                self.assertTrue(u.startswith(self.sim.base + "/files/"), u)
        self.assertEqual(self.sim.stats()["tasks_created"], 7)

    def test_callback_mode_without_public_url_is_refused_before_anything_is_sent(self):
        self.start_sim()
        self.write("m.yaml", mixed_manifest(2))
        r = self.reelq_run("m.yaml", "--mode", "callback")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("callback mode needs --public-url URL", r.stderr)
        r = self.reelq_run("m.yaml", "--mode", "callback", "--public-url", "https://tunnel.example.com")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("--public-url needs --listen HOST:PORT", r.stderr)
        self.assertEqual(self.sim.stats()["total_requests"], 0)

    def test_a_resumed_run_accepts_callbacks_under_the_same_token(self):
        self.start_sim("--seed", "6", "--mean-render", "1000")
        self.write("m.yaml", mixed_manifest(6))
        listen = self.listen_args()
        p = self.spawn_run("m.yaml", "--mode", "callback", *listen, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        token = self.token()
        self.wait_for_stored_tasks(p, 7)  # every take out, none in flight: a kill mid-submit would add one
        p.kill()
        p.wait()
        r = self.reelq_run(cmd="resume")  # the resume line as printed: the batch remembers its listener
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"runs with the flags its last run was given: --mode callback {' '.join(listen)} (", r.stderr)
        self.assertEqual(self.token(), token)
        self.assertIn("for callbacks, reached at", r.stdout)
        self.assertEqual(self.sim.stats()["tasks_created"], 7)

    def test_a_resume_told_to_poll_says_the_callbacks_go_unheard_and_polls_them_home(self):
        self.start_sim("--seed", "6", "--mean-render", "1000")
        self.write("m.yaml", mixed_manifest(6))
        p = self.spawn_run("m.yaml", "--mode", "callback", *self.listen_args(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        # Killed once every take is out in callback mode and no submit waits for its answer (a fixed
        # second was too short under ASan, where the start-up and the public URL's probe take longer;
        # a kill mid-submit would make the resume submit an eighth task).
        self.wait_for_stored_tasks(p, 7)
        p.kill()
        p.wait()
        r = self.reelq_run("--mode", "async", cmd="resume")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stderr, r"reelq: (1 task of batch mixed was|[0-9]+ tasks of batch mixed were) submitted "
                                   r"in callback mode")
        self.assertIn("their callbacks go unanswered and polling collects them", r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], 7)


class Listener(ListenTest):
    """The listener's refusals, and a flood of bogus requests during a run."""

    def setUp(self):
        super().setUp()
        os.makedirs(os.path.join(self.dir, "refs"))
        shutil.copy(TINY_PNG, os.path.join(self.dir, "refs", "face.png"))
        shutil.copy(TINY_PNG, os.path.join(self.dir, "refs", "secret.png"))  # beside it, not in the manifest
        with open(os.path.join(self.dir, "secret.txt"), "w") as f:
            f.write("not for the internet")

    def images_manifest(self, n=4):
        lines = ["batch: imgs", "jobs:"]
        for i in range(n):
            lines += [f"  - id: still{i}", f"    prompt: \"animate {i}\"", "    images: [refs/face.png]"]
        return "\n".join(lines) + "\n"

    def test_local_images_are_served_to_the_simulator_which_checks_their_bytes(self):
        self.start_sim()
        self.write("m.yaml", self.images_manifest(3))
        port = free_port()
        r = self.reelq_run("m.yaml", "--listen", f"127.0.0.1:{port}", "--public-url", f"http://127.0.0.1:{port}")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"listening on 127.0.0.1:{port} for 1 local image, reached at", r.stdout)
        fetched = self.sim.stats()["images_fetched"]
        self.assertEqual(len(fetched), 3)
        for f in fetched:
            self.assertIn(f"http://127.0.0.1:{port}/img/", f["url"])
            self.assertTrue(f["url"].endswith("-face.png"), f["url"])
            self.assertEqual(f["sha256"], sha256(os.path.join(self.dir, "refs", "face.png")))

    def test_an_image_changed_after_enqueue_fails_only_the_jobs_that_name_it(self):
        self.start_sim()
        shutil.copy(TINY_PNG, os.path.join(self.dir, "refs", "other.png"))
        self.write("m.yaml", self.images_manifest(2) + "  - id: other\n    prompt: p\n    images: [refs/other.png]\n"
                   "  - id: text\n    prompt: q\n")
        r = run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.dir, "refs", "face.png"), "wb") as f:
            f.write(b"now a text file")
        port = free_port()
        r = self.reelq_run("--listen", f"127.0.0.1:{port}", "--public-url", f"http://127.0.0.1:{port}",
                           cmd="resume")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # it stopped the whole resume with 2 before
        face = os.path.join(os.path.realpath(self.dir), "refs", "face.png")
        self.assertRegex(r.stderr, f"reelq: .*{face}.* \\(it changed since it was enqueued\\); not submitting "
                                   "still0, still1 \\(fix the file, then `reelq retry --fail-code "
                                   "IMAGE_CHECK_FAILED`\\)")
        states = dict(self.db().execute("SELECT job_id, coalesce(fail_code, state) FROM jobs").fetchall())
        self.assertEqual(states, {"still0": "IMAGE_CHECK_FAILED", "still1": "IMAGE_CHECK_FAILED",
                                  "other": "succeeded", "text": "succeeded"})
        self.assertEqual(self.sim.stats()["tasks_created"], 2)

    def test_refusals_and_a_burst_of_1000_bogus_requests_leave_the_run_unaffected(self):
        makespans = []
        for burst in (False, True):
            self.start_sim("--seed", "8", "--mean-render", "800")
            self.write("m.yaml", self.images_manifest(12))
            port = free_port()
            p = self.spawn_run("m.yaml", "--mode", "callback", "--listen", f"127.0.0.1:{port}", "--public-url",
                               f"http://127.0.0.1:{port}", stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
            token = self.token()
            name = None
            for _ in range(300):
                row = self.db().execute("SELECT request_body FROM jobs WHERE request_body IS NOT NULL").fetchone()
                if row:
                    name = json.loads(row[0])["input"]["image_urls"][0].rsplit("/", 1)[1]
                    break
                time.sleep(0.02)
            self.assertIsNotNone(name)
            if burst:
                self.check_refusals(port, token, name)
                self.flood(port, token, 1000)
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, out + err)
            db = self.db()
            first, last = db.execute("SELECT min(api_create_time), max(api_complete_time) FROM jobs").fetchone()
            makespans.append((last - first) / 1000.0)
            self.assertEqual(db.execute("SELECT count(*) FROM jobs WHERE state = 'succeeded'").fetchone()[0], 12)
            self.sim.close()
            self.sim = None
            for name in ("q.db", "q.db-wal", "q.db-shm"):
                if os.path.exists(os.path.join(self.dir, name)):
                    os.remove(os.path.join(self.dir, name))
            shutil.rmtree(os.path.join(self.dir, "renders"))
        print(f"\n  makespan without burst {makespans[0]:.2f} s, with 1000 bogus requests {makespans[1]:.2f} s")
        self.assertLess(makespans[1], makespans[0] * 1.15 + 0.2)

    def test_600_idle_connections_leave_genuine_callbacks_answered_at_once(self):
        """Issue 17 item 14: 600 sockets that connect and send nothing held every worker, and every
        genuine callback after them was reset or closed unanswered."""
        self.start_sim("--seed", "5", "--mean-render", "2000")  # renders of about 10 s: the run outlasts the test
        self.write("m.yaml", self.images_manifest(4))
        port = free_port()
        p = self.spawn_run("m.yaml", "--mode", "callback", "--listen", f"127.0.0.1:{port}", "--public-url",
                           f"http://127.0.0.1:{port}", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        token = self.token()
        task = None
        for _ in range(300):
            row = self.db().execute("SELECT task_id FROM jobs WHERE task_id IS NOT NULL").fetchone()
            if row:
                task = row[0]
                break
            time.sleep(0.02)
        self.assertIsNotNone(task)
        body = json.dumps({"code": 200, "msg": "success", "data": {"taskId": task, "state": "processing"}}).encode()

        def genuine(n):
            """n genuine callbacks one after the other: the seconds each took to be answered 200."""
            took = []
            for _ in range(n):
                start = time.monotonic()
                try:
                    status, _, _ = raw_request(port, "POST", f"/cb/{token}", body)
                except OSError as e:
                    self.fail(f"a genuine callback was not answered: {e!r}")
                took.append(time.monotonic() - start)
                self.assertEqual(status, 200)
            return took

        quiet = genuine(5)
        idle = []
        try:
            for _ in range(600):
                try:
                    idle.append(socket.create_connection(("127.0.0.1", port), timeout=2))
                except OSError:
                    pass
            opened = len(idle)
            loud = genuine(5)  # at once: the idle ones are all still open
            # The idle ones are closed unanswered within a few seconds (bounded wait for each).
            deadline = time.monotonic() + 10
            closed = 0
            for s in idle:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    closed += 1 if s.recv(64) == b"" else 0
                except ConnectionResetError:
                    closed += 1
                except OSError:
                    pass
        finally:
            for s in idle:
                s.close()
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn("batch imgs: 4 succeeded, 0 failed", out)
        print(f"\n  genuine callback without idle connections: max {max(quiet) * 1000:.1f} ms; with {opened} idle "
              f"connections open: max {max(loud) * 1000:.1f} ms; {closed} idle closed unanswered")
        self.assertEqual(opened, 600)
        self.assertEqual(closed, 600)
        self.assertLess(max(loud), 1.0)

    def check_refusals(self, port, token, name):
        img = f"/img/{token}/{name}"
        status, headers, body = raw_request(port, "GET", img)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "image/png")
        with open(TINY_PNG, "rb") as f:
            self.assertEqual(body, f.read())
        status, headers, body = raw_request(port, "HEAD", img)
        self.assertEqual((status, headers["Content-Length"], body), (200, str(os.path.getsize(TINY_PNG)), b""))
        refused = [
            ("GET", f"/img/{'f' * 64}/{name}"),                   # wrong token
            ("GET", f"/img/{token[:-1]}/{name}"),                  # a token one character short
            ("GET", f"/img/{token}/../../etc/passwd"),
            ("GET", f"/img/{token}/..%2f..%2fetc%2fpasswd"),
            ("GET", f"/img/{token}/%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
            ("GET", f"/img/{token}/%252e%252e%252fetc%252fpasswd"),  # double-encoded
            ("GET", f"/img/{token}/..%2fsecret.txt"),
            ("GET", f"/img/{token}/secret.png"),                  # beside the served one, not in the manifest
            ("GET", f"/img/{token}/{name.split('-', 1)[0]}-secret.png"),
            ("GET", f"/img/{token}/"),
            ("GET", f"/img/{token}"),
            ("POST", img),
            ("GET", f"/cb/{token}"),
            ("GET", "/"),
            ("GET", "/etc/passwd"),
        ]
        for method, target in refused:
            status, _, body = raw_request(port, method, target)
            self.assertEqual((status, body), (404, b""), target)

    def flood(self, port, token, n):
        """n bogus requests from 8 threads: wrong tokens, garbage bodies, traversal attempts."""
        def worker(k):
            for i in range(k, n, 8):
                kind = i % 4
                try:
                    if kind == 0:
                        raw_request(port, "POST", f"/cb/{i:064d}", b'{"code":200}')
                    elif kind == 1:
                        raw_request(port, "POST", f"/cb/{token}", b"garbage" * 10)
                    elif kind == 2:
                        raw_request(port, "GET", f"/img/{token}/..%2f..%2f{i}")
                    else:
                        raw_request(port, "GET", f"/x/{i}")
                except OSError:
                    pass
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


class OtherServer(http.server.BaseHTTPRequestHandler):
    """Another web server on 127.0.0.1, where a tunnel may point by mistake: 200 to everything."""

    def do_GET(self):
        body = b"<html><body>It works!</body></html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class PublicUrlProbe(ListenTest):
    """Before submitting what depends on the listener, reelq checks that --public-url reaches it."""

    def setUp(self):
        super().setUp()
        os.makedirs(os.path.join(self.dir, "refs"))
        shutil.copy(TINY_PNG, os.path.join(self.dir, "refs", "face.png"))
        shutil.copy(TINY_PNG, os.path.join(self.dir, "refs", "unreachable.png"))

    def refusal(self, listen_port, public_url, what_came_back):
        return (f"reelq: --public-url {public_url} does not reach this run's listener on 127.0.0.1:{listen_port}: "
                f"GET {public_url}/probe/TOKEN/CHALLENGE {what_came_back}. Nothing was submitted. Point the tunnel "
                f"or proxy at 127.0.0.1:{listen_port}, or give the --public-url that leads there\n")

    def test_a_public_url_at_a_closed_port_is_refused_before_anything_is_sent(self):
        self.start_sim()
        self.write("m.yaml", "batch: imgs\njobs:\n  - id: still\n    prompt: p\n    images: [refs/face.png]\n")
        port, closed = free_port(), free_port()
        r = self.reelq_run("m.yaml", "--listen", f"127.0.0.1:{port}", "--public-url", f"http://127.0.0.1:{closed}/")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stderr, self.refusal(port, f"http://127.0.0.1:{closed}", "failed: Connection refused"))
        self.assertNotIn(self.token(), r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], 0)  # the balance was read, nothing submitted
        self.assertEqual(self.db().execute("SELECT count(*) FROM jobs WHERE state = 'queued'").fetchone()[0], 1)

    def test_a_public_url_where_another_server_answers_is_refused_in_callback_mode(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OtherServer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            self.start_sim()
            self.write("m.yaml", mixed_manifest(2))
            port, other = free_port(), server.server_address[1]
            r = self.reelq_run("m.yaml", "--mode", "callback", "--listen", f"127.0.0.1:{port}", "--public-url",
                               f"http://127.0.0.1:{other}")
        finally:
            server.shutdown()
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stderr, self.refusal(port, f"http://127.0.0.1:{other}",
                                                "answered HTTP 200 with \"<html><body>It works!</body></html>\", not "
                                                "this listener's answer (another server answers there)"))
        self.assertEqual(self.sim.stats()["tasks_created"], 0)  # the balance was read, nothing submitted

    def test_a_served_image_the_api_cannot_fetch_blames_the_public_url_not_the_manifest(self):
        # The simulator fails any image URL holding "unreachable": reelq served this one, so the
        # manifest is fine and the advice is about the URL the API fetched from.
        self.start_sim()
        self.write("m.yaml", "batch: imgs\njobs:\n  - id: lost\n    prompt: p\n    images: [refs/unreachable.png]\n"
                   "  - id: fine\n    prompt: q\n    images: [refs/face.png]\n")
        port = free_port()
        r = self.reelq_run("m.yaml", "--listen", f"127.0.0.1:{port}", "--public-url", f"http://127.0.0.1:{port}")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        db = os.path.join(self.dir, "q.db")
        self.assertIn("  failures: INVALID_IMAGE_URL 1\n  next, INVALID_IMAGE_URL: the API could not fetch the local "
                      f"images reelq served at http://127.0.0.1:{port} (the manifest is not the cause): check that "
                      "this URL reaches --listen (the tunnel or proxy), then: reelq retry --db "
                      f"{db} --batch imgs --fail-code INVALID_IMAGE_URL\n", r.stdout)
        r = self.reelq("status", "--failed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout,
                         "batch imgs: 1 take failed\n"
                         "JOB   TAKE  CODE               MESSAGE                           WHAT TO TYPE\n"
                         "lost     1  INVALID_IMAGE_URL  Cannot access provided image URL  check that "
                         f"http://127.0.0.1:{port} reaches --listen, then: reelq retry --db {db} --batch imgs "
                         "--job lost\n")


class Rehearsal(ListenTest):
    def test_a_rehearsal_serves_local_images_and_takes_callbacks_on_loopback(self):
        shutil.copy(TINY_PNG, os.path.join(self.dir, "face.png"))
        self.write("m.yaml", "batch: rh\nsettings:\n  request_type: callback\njobs:\n"
                   "  - id: still\n    prompt: p\n    images: [face.png]\n  - id: text\n    prompt: q\n")
        r = run("run", "--rehearse", "m.yaml", "--time-scale", SCALE, cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("batch rh: 2 succeeded, 0 failed", r.stdout)
        # What the real run will need is said now, not found out when it refuses to start.
        self.assertIn("note: 1 job names local image files, which this rehearsal serves on 127.0.0.1; the real run "
                      "refuses to start without --public-url URL and --listen HOST:PORT", r.stdout)
        r = run("run", "--rehearse", "m.yaml", "--time-scale", SCALE, "--public-url", "https://tunnel.example",
                "--listen", "127.0.0.1:0", cwd=self.dir)
        self.assertNotIn("note: 1 job names local image files", r.stdout)


class TlsListener(ListenTest):
    def test_the_listener_speaks_https_with_tls_cert_and_key(self):
        import ssl
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.start_sim("--mean-render", "800")
        self.write("m.yaml", mixed_manifest(3))
        port = free_port()
        # The simulator cannot verify this certificate, so its callbacks fail and polling finishes
        # the batch; what is tested here is the listener's side. reelq's probe of --public-url
        # verifies it as for any HTTPS: --ca-file trusts it.
        p = self.spawn_run("m.yaml", "--mode", "callback", "--listen", f"127.0.0.1:{port}", "--public-url",
                           f"https://127.0.0.1:{port}", "--tls-cert", cert, "--tls-key", key, "--ca-file", cert,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        token = self.token()
        ctx = ssl.create_default_context(cafile=cert)
        c = None
        for _ in range(100):
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
                c.request("POST", f"/cb/{token}", body=b'{"code":200,"data":{"taskId":"t","state":"success"}}')
                break
            except OSError:
                time.sleep(0.05)
        self.assertEqual(c.getresponse().status, 200)
        with self.assertRaises((http.client.HTTPException, OSError)):
            raw_request(port, "POST", f"/cb/{token}", b"{}")  # plain HTTP is not spoken
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertEqual(self.sim.stats()["tasks_created"], 4)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class ImageBaseUrl(ListenTest):
    """settings.image_base_url: the copies are fetched once and compared with the local files."""

    def test_a_changed_copy_fails_its_job_unsent_and_names_the_file(self):
        os.makedirs(os.path.join(self.dir, "refs"))
        os.makedirs(os.path.join(self.dir, "cdn", "refs"))
        for name in ("same.png", "changed.png"):
            shutil.copy(TINY_PNG, os.path.join(self.dir, "refs", name))
            shutil.copy(TINY_PNG, os.path.join(self.dir, "cdn", "refs", name))
        with open(os.path.join(self.dir, "refs", "changed.png"), "ab") as f:
            f.write(b"edited after the upload")
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(QuietHandler, directory=os.path.join(self.dir, "cdn")))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            base = f"http://127.0.0.1:{server.server_address[1]}/"
            self.start_sim()
            self.write("m.yaml", "batch: up\nsettings:\n  image_base_url: " + base + "\njobs:\n"
                       "  - id: good\n    prompt: p\n    images: [refs/same.png]\n"
                       "  - id: bad\n    prompt: p\n    images: [refs/changed.png]\n")
            r = self.reelq_run("m.yaml")
        finally:
            server.shutdown()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        changed = os.path.join(os.path.realpath(self.dir), "refs", "changed.png")
        self.assertIn(f"reelq: image {changed}: {base}refs/changed.png holds different bytes (SHA-256 differs); "
                      "upload the file again; not submitting bad", r.stderr)
        self.assertIn("failures: IMAGE_CHECK_FAILED 1", r.stdout)
        stats = self.sim.stats()
        self.assertEqual(stats["tasks_created"], 1)
        self.assertEqual(stats["images_fetched"], [{"url": base + "refs/same.png", "sha256": sha256(TINY_PNG)}])


if __name__ == "__main__":
    main()
