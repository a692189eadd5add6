"""`reelq sim --latency-ms`, `--slow-rate`/`--slow-seconds` and `--plan` over HTTP on 127.0.0.1: answers
really take that long, a slow answer holds up no other, the stats count what happened (slow
answers, 429s by kind, finished tasks nobody has asked about), and reelq finishes a batch through it."""
import json
import os
import tempfile
import threading
import time
import unittest

from harness import main
from simharness import SCALE, Sim, SimRunTest

T2V = json.dumps({"request_type": "async", "provider": "official",
                  "input": {"mode": "text-to-video", "prompt": "p", "duration": 4, "size": "1280*720"}})
SUBMIT = "/api/v1/generateTask/sora-2-pro"
BALANCE = "/api/v1/apikeys/current-balance"


class SimLatency(unittest.TestCase):
    def setUp(self):
        self.sim = None
        self.tmp = tempfile.TemporaryDirectory(prefix="reelq-simlat-")

    def tearDown(self):
        if self.sim:
            self.sim.close()
        self.tmp.cleanup()

    def timed(self, method, path, body=None):
        t0 = time.monotonic()
        status, answer = self.sim.request(method, path, body)
        return status, answer, time.monotonic() - t0

    def test_every_answer_takes_the_latency_scaled(self):
        # 2000 ms at scale 0.1: 200 real ms per answer. Downloads and the stats are not delayed.
        self.sim = Sim("--time-scale", "0.1", "--latency-ms", "2000")
        for _ in range(3):
            status, _, took = self.timed("GET", BALANCE)
            self.assertEqual(status, 200)
            self.assertGreaterEqual(took, 0.2)
        stats = self.sim.stats()
        self.assertEqual(stats["latency"], {"latency_ms": 2000, "slow_rate": 0, "slow_seconds": 30})
        self.assertEqual(stats["slow_answers"], 0)

    def test_slow_answers_happen_at_the_rate_and_the_stats_count_them(self):
        # 4 s at scale 0.05: a slow answer takes 200 real ms; the others none.
        ledger = os.path.join(self.tmp.name, "ledger.jsonl")
        self.sim = Sim("--time-scale", "0.05", "--slow-rate", "0.3", "--slow-seconds", "4", "--seed", "7",
                       "--rpm", "1000", "--ledger", ledger)
        took = [self.timed("GET", BALANCE)[2] for _ in range(30)]
        delays = [json.loads(line)["delay_ms"] for line in open(ledger)]
        self.assertEqual(len(delays), 30)
        self.assertEqual(set(delays), {0, 200})
        slow = delays.count(200)
        self.assertGreater(slow, 0)
        self.assertLess(slow, 30)
        for t, d in zip(took, delays):
            self.assertGreaterEqual(t, d / 1000)
        self.assertEqual(self.sim.stats()["slow_answers"], slow)

    def test_fault_slow_is_the_slow_rate(self):
        self.sim = Sim("--time-scale", "0.05", "--fault-slow", "1", "--slow-seconds", "4")
        self.assertGreaterEqual(self.timed("GET", BALANCE)[2], 0.2)
        stats = self.sim.stats()
        self.assertEqual((stats["latency"]["slow_rate"], stats["slow_answers"]), (1, 1))

    def test_a_slow_answer_holds_up_no_other(self):
        # 100 requests at once, each held 1.5 real s: with a thread each they all end together,
        # in about 1.5 s; the 16 threads Poco gives by default would take 10 s.
        self.sim = Sim("--time-scale", "0.05", "--slow-rate", "1", "--slow-seconds", "30", "--rpm", "100000")
        results = []

        def one():
            results.append(self.sim.request("GET", BALANCE)[0])
        threads = [threading.Thread(target=one) for _ in range(100)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - t0
        self.assertEqual(results, [200] * 100)
        self.assertGreaterEqual(took, 1.5)
        self.assertLess(took, 5.0)
        self.assertEqual(self.sim.stats()["slow_answers"], 100)

    def test_free_plan_caps_and_the_two_429_messages(self):
        self.sim = Sim("--plan", "free")
        codes = [self.sim.request("POST", SUBMIT, T2V) for _ in range(4)]
        self.assertEqual([c for c, _ in codes], [200, 200, 200, 429])
        self.assertEqual(codes[3][1], {"code": 429, "message": "Concurrent task limit exceeded", "data": None})
        for _ in range(6):  # 10 requests in the window, the 429 included
            self.assertEqual(self.sim.request("GET", BALANCE)[0], 200)
        self.assertEqual(self.sim.request("GET", BALANCE),
                         (429, {"code": 429, "message": "Rate limit exceeded", "data": None}))
        stats = self.sim.stats()
        self.assertEqual((stats["rpm"], stats["concurrency"]), (10, 3))
        self.assertEqual(stats["rate_limited_by_kind"], {"rate": 1, "concurrency": 1})
        self.assertEqual(stats["rate_limited_sent"], 2)

    def test_explicit_caps_win_over_the_plan(self):
        self.sim = Sim("--plan", "free", "--rpm", "20")
        stats = self.sim.stats()
        self.assertEqual((stats["rpm"], stats["concurrency"]), (20, 3))

    def test_done_unseen_counts_finished_tasks_until_they_are_polled(self):
        self.sim = Sim("--time-scale", "0.002")  # a 4 s 720p render: about 0.25 real s
        task = self.sim.request("POST", SUBMIT, T2V)[1]["data"]["taskId"]
        self.assertEqual(self.sim.stats()["done_unseen"], {"tasks": 0, "longest_wait_ms": 0})
        time.sleep(1.0)
        unseen = self.sim.stats()["done_unseen"]
        self.assertEqual(unseen["tasks"], 1)
        self.assertGreater(unseen["longest_wait_ms"], 300)
        status, body = self.sim.request("GET", f"/api/v1/statusTask/sora-2-pro?taskId={task}")
        self.assertEqual((status, body["data"]["state"]), (200, "success"))
        seen = self.sim.stats()["done_unseen"]
        self.assertEqual(seen["tasks"], 0)
        time.sleep(0.3)
        self.assertEqual(self.sim.stats()["done_unseen"], seen)  # heard of: its wait stops growing


class RunThroughLatency(SimRunTest):
    def test_reelq_finishes_a_batch_through_latency_and_slow_answers(self):
        self.start_sim("--latency-ms", "300", "--slow-rate", "0.3", "--slow-seconds", "30", "--seed", "3")
        self.write("m.yaml", "batch: lat\njobs:\n" + "".join(
            f"  - id: job{i}\n    prompt: \"scene {i}\"\n    duration: 4\n" for i in range(6)))
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("batch lat: 6 succeeded", r.stdout)
        stats = self.sim.stats()
        self.assertGreater(stats["slow_answers"], 0)
        self.assertEqual(stats["done_unseen"]["tasks"], 0)  # every task reelq made, it heard of
        self.assertEqual(stats["rate_limited_sent"], 0)


if __name__ == "__main__":
    main()
