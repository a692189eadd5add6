"""HTTPS: certificates are verified by default; --ca-file trusts another CA. Served on 127.0.0.1."""
import http.server
import os
import ssl
import subprocess
import threading

from harness import TempDirTest, main, run


class Handler(http.server.BaseHTTPRequestHandler):
    seen = []

    def do_POST(self):
        Handler.seen.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"code":400,"message":"Invalid request","data":{"error":"tls test server"}}'
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Tls(TempDirTest):
    def setUp(self):
        super().setUp()
        self.cert = os.path.join(self.dir, "cert.pem")
        key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", self.cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"https://127.0.0.1:{self.server.server_address[1]}"
        Handler.seen = []
        self.write("m.yaml", "batch: b\njobs:\n  - prompt: p\n")

    def tearDown(self):
        self.server.shutdown()
        super().tearDown()

    def reelq(self, *extra):
        return run("run", "m.yaml", "--db", "q.db", "--api-base", self.base, "--max-attempts", "1", "--quiet", *extra,
                   cwd=self.dir, env={"APIXO_API_KEY": "k-tls-test"})

    def test_an_unknown_certificate_is_refused_by_default(self):
        r = self.reelq()
        # The handshake fails before any request byte: the API cannot be reached, so the run stops
        # at start-up, before anything is enqueued (it used to fail every job RETRIES_EXHAUSTED).
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("certificate verify failed", r.stderr)
        self.assertIn("nothing was enqueued or submitted", r.stderr)
        self.assertEqual(Handler.seen, [])  # the request never reached the server

    def test_ca_file_trusts_the_given_certificate(self):
        r = self.reelq("--ca-file", self.cert)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("failures: INVALID_REQUEST 1", r.stdout)
        self.assertEqual(Handler.seen, ["/api/v1/generateTask/sora-2-pro"])


if __name__ == "__main__":
    main()
