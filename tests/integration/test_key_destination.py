"""Issue 17 item 6: a manifest never chooses where the API key goes. A manifest someone sent that
names an API base is refused by `validate` and `run` before anything is sent; the key travels over
plain http only to this machine, wherever the base comes from. A stub server on 127.0.0.1, named in
the manifest, records every request it gets: it must get none."""
import http.server
import os
import threading

from harness import KEY, TempDirTest, main, run


class Recorder(http.server.BaseHTTPRequestHandler):
    seen = []

    def answer(self):
        Recorder.seen.append((self.command, self.path, self.headers.get("Authorization")))
        length = int(self.headers.get("Content-Length", 0) or 0)
        if length:
            self.rfile.read(length)
        body = b'{"code":401,"message":"Unauthorized","data":null}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = answer

    def log_message(self, *args):
        pass


class KeyDestination(TempDirTest):
    def setUp(self):
        super().setUp()
        Recorder.seen = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.stub = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.write("sent.yaml", f"batch: sent\nsettings:\n  rpm: 30\n  api_base: {self.stub}\njobs:\n  - prompt: p\n")
        self.refusal = ("sent.yaml:4:3: api_base cannot be set in a manifest: it chooses where reelq sends your API "
                        "key; give --api-base or REELQ_API_BASE instead\n")

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        super().tearDown()

    def test_validate_refuses_a_manifest_that_names_an_api_base(self):
        r = run("validate", "sent.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stderr, self.refusal)
        self.assertEqual(Recorder.seen, [])

    def test_run_sends_nothing_to_a_host_a_manifest_names(self):
        r = run("run", "sent.yaml", "--db", "q.db", cwd=self.dir, env={"APIXO_API_KEY": KEY}, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stderr, self.refusal)
        self.assertEqual(Recorder.seen, [])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "q.db")))

    def test_plain_http_to_another_machine_is_refused_from_the_flag_and_the_environment(self):
        self.write("m.yaml", "batch: m\njobs:\n  - prompt: p\n")
        words = ("must be https:// (plain http only to this machine: localhost, 127.0.0.1 or [::1]; it would carry "
                 "the API key unencrypted) (got \"http://api.example.invalid\")")
        r = run("run", "m.yaml", "--db", "q.db", "--api-base", "http://api.example.invalid", cwd=self.dir,
                env={"APIXO_API_KEY": KEY}, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("--api-base: " + words, r.stderr)
        r = run("run", "m.yaml", "--db", "q.db", cwd=self.dir, timeout=60,
                env={"APIXO_API_KEY": KEY, "REELQ_API_BASE": "http://api.example.invalid"})
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("REELQ_API_BASE: " + words, r.stderr)

    def test_the_flag_and_the_environment_still_choose_an_api_on_this_machine(self):
        # The control: the stub does record what is sent to it, when the user names it.
        self.write("m.yaml", "batch: m\njobs:\n  - prompt: p\n")
        r = run("run", "m.yaml", "--db", "q.db", "--api-base", self.stub, cwd=self.dir,
                env={"APIXO_API_KEY": KEY}, timeout=60)
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)  # the stub refuses every key
        self.assertEqual(Recorder.seen[0][2], "Bearer " + KEY)
        Recorder.seen = []
        self.write("m2.yaml", "batch: m2\njobs:\n  - prompt: p\n")
        r = run("run", "m2.yaml", "--db", "q2.db", cwd=self.dir, timeout=60,
                env={"APIXO_API_KEY": KEY, "REELQ_API_BASE": self.stub})
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertEqual(Recorder.seen[0][2], "Bearer " + KEY)


if __name__ == "__main__":
    main()
