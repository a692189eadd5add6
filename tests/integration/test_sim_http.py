"""`reelq sim` over HTTP: the API page's examples get answers of the page's shapes, and both caps hold."""
import json
import os
import socket
import time
import unittest

from harness import main
from simharness import Sim

PAGE_T2V = """{
    "request_type": "async",
    "provider": "official",
    "input": {
      "mode": "text-to-video",
      "prompt": "a cinematic tracking shot of a futuristic city with flying cars",
      "duration": 8,
      "size": "1280*720"
    }
  }"""

PAGE_I2V = """{
    "request_type": "callback",
    "callback_url": "https://your-server.com/callback",
    "provider": "official",
    "input": {
      "mode": "image-to-video",
      "prompt": "make this image come alive with subtle motion",
      "duration": 12,
      "resolution": "1080p",
      "image_urls": [
        "https://example.com/reference_image.jpg"
      ]
    }
  }"""


class SimHttp(unittest.TestCase):
    def tearDown(self):
        self.sim.close()

    def test_page_examples_get_page_shapes(self):
        self.sim = Sim("--time-scale", "0.002")
        status, body = self.sim.request("POST", "/api/v1/generateTask/sora-2-pro", PAGE_T2V)
        self.assertEqual(status, 200)
        self.assertEqual(list(body.keys()), ["code", "message", "data"])
        self.assertEqual((body["code"], body["message"], list(body["data"].keys())), (200, "success", ["taskId"]))
        t2v = body["data"]["taskId"]
        status, body = self.sim.request("POST", "/api/v1/generateTask/sora-2-pro", PAGE_I2V)
        self.assertEqual(status, 200, body)
        time.sleep(2.5)  # 12 s 1080p renders take ~5 min; 0.002 makes that ~0.6 s
        status, body = self.sim.request("GET", f"/api/v1/statusTask/sora-2-pro?taskId={t2v}")
        self.assertEqual(status, 200)
        data = body["data"]
        self.assertEqual(list(data.keys()), ["taskId", "state", "resultJson", "createTime", "completeTime", "costTime"])
        self.assertEqual(data["state"], "success")
        self.assertIsInstance(data["resultJson"], str)
        url = json.loads(data["resultJson"])["resultUrls"][0]
        self.assertTrue(url.startswith(self.sim.base + "/files/"))
        status, video = self.sim.request("GET", url[len(self.sim.base):], key=None, raw=True)
        self.assertEqual(status, 200)
        self.assertEqual(video[4:8], b"ftyp")

    def test_errors_have_the_page_shapes_and_http_codes(self):
        self.sim = Sim()
        status, body = self.sim.request("POST", "/api/v1/generateTask/sora-2-pro", PAGE_T2V, key="wrong")
        self.assertEqual((status, body), (401, {"code": 401, "message": "Invalid or missing API Key", "data": None}))
        status, body = self.sim.request("POST", "/api/v1/generateTask/sora-2-pro",
                                        PAGE_T2V.replace("a cinematic", "REJECTME"))
        self.assertEqual((status, body), (400, {"code": 400, "message":
                                                "Content violates provider policy, please adjust the prompt",
                                                "data": None}))
        status, body = self.sim.request("POST", "/api/v1/generateTask/sora-2-pro", PAGE_T2V.replace('"duration": 8', '"duration": 10'))
        self.assertEqual(status, 400)
        self.assertEqual(body["data"], {"error": "input.duration must be 4, 8 or 12"})
        status, body = self.sim.request("GET", "/api/v1/statusTask/sora-2-pro?taskId=task_nope")
        self.assertEqual((status, body["message"]), (404, "Task not found"))
        status, body = self.sim.request("GET", "/api/v1/apikeys/current-balance")
        self.assertEqual((status, body["code"], body["data"]), (200, 200, 1000.0))

    def test_rate_cap_over_http(self):
        self.sim = Sim("--rpm", "5")
        codes = [self.sim.request("GET", "/api/v1/apikeys/current-balance")[0] for _ in range(6)]
        self.assertEqual(codes, [200] * 5 + [429])
        stats = self.sim.stats()
        self.assertEqual(stats["rate_limited_sent"], 1)
        self.assertEqual(stats["max_requests_in_window"], 6)

    def test_concurrency_cap_over_http(self):
        self.sim = Sim("--concurrency", "10", "--rpm", "1000")
        codes = [self.sim.request("POST", "/api/v1/generateTask/sora-2-pro", PAGE_T2V)[0] for _ in range(11)]
        self.assertEqual(codes, [200] * 10 + [429])
        stats = self.sim.stats()
        self.assertEqual(stats["max_concurrent_tasks"], 10)
        self.assertEqual(stats["tasks_created"], 10)
        self.assertEqual(stats["max_tasks_per_input"], 10)

    def test_drop_after_create_closes_without_answer_but_makes_the_task(self):
        self.sim = Sim("--fault-drop-after", "1")
        with socket.create_connection(("127.0.0.1", self.sim.port), timeout=5) as s:
            body = PAGE_T2V.encode()
            s.sendall(b"POST /api/v1/generateTask/sora-2-pro HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sim-key\r\n"
                      b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            self.assertEqual(s.recv(4096), b"")  # closed, nothing said
        self.assertEqual(self.sim.stats()["tasks_created"], 1)

    def test_ledger_has_a_line_per_request(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            ledger = os.path.join(d, "ledger.jsonl")
            self.sim = Sim("--ledger", ledger)
            self.sim.request("GET", "/api/v1/apikeys/current-balance")
            self.sim.request("POST", "/api/v1/generateTask/sora-2-pro", PAGE_T2V)
            lines = [json.loads(line) for line in open(ledger)]
            self.assertEqual([(l["path"], l["status"], l["outcome"]) for l in lines],
                             [("/api/v1/apikeys/current-balance", 200, "ok"),
                              ("/api/v1/generateTask/sora-2-pro", 200, "ok")])
            self.assertNotIn("sim-key", open(ledger).read())


if __name__ == "__main__":
    main()
