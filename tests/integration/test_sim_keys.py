"""`reelq sim --keys NAME:KEY:RPM:CONCURRENT[:CREDITS]` over HTTP: each key refused at its own caps with
the API's two 429 messages, a poll with the wrong key counted, unknown and revoked keys 401, and
/__sim/stats per key (issue 20's simulator)."""
import unittest

from harness import KEY, main, run
from simharness import Sim

T2V = ('{"request_type":"async","provider":"official","input":{"mode":"text-to-video","prompt":"p",'
       '"duration":8,"size":"1280*720"}}')  # 2.40 USD
SLOW_KEY = "sk-slow-6f1e0b2d77-never-printed"
GONE_KEY = "sk-gone-0a9b8c7d6e-never-printed"
RATE = {"code": 429, "message": "Rate limit exceeded", "data": None}
CONCURRENCY = {"code": 429, "message": "Concurrent task limit exceeded", "data": None}
UNAUTHORIZED = {"code": 401, "message": "Invalid or missing API Key", "data": None}


class SimKeys(unittest.TestCase):
    def setUp(self):
        # Time scale 1: the 60 s window and the 3-minute renders outlast the test, so every count
        # below is exact. fast: 7 requests a window, 2 tasks; slow: 4 requests, 1 task, 5.00 USD.
        self.sim = Sim("--keys", f"fast:{KEY}:7:2,slow:{SLOW_KEY}:4:1:5,gone:{GONE_KEY}", "--revoked", "gone")

    def tearDown(self):
        self.sim.close()

    def submit(self, key):
        return self.sim.request("POST", "/api/v1/generateTask/sora-2-pro", T2V, key=key)

    def poll(self, key, task_id):
        return self.sim.request("GET", f"/api/v1/statusTask/sora-2-pro?taskId={task_id}", key=key)

    def test_each_key_meets_its_own_caps_and_is_counted_apart(self):
        line = self.sim.proc.stdout.readline()
        self.assertIn("3 keys: fast, slow, gone)", line)
        for secret in (KEY, SLOW_KEY, GONE_KEY):
            self.assertNotIn(secret, line)

        # fast: 2 slots, the third submit refused for concurrency (requests 1-3 of 7).
        fast_tasks = []
        for _ in range(2):
            status, body = self.submit(KEY)
            self.assertEqual(status, 200, body)
            fast_tasks.append(body["data"]["taskId"])
        self.assertEqual(self.submit(KEY), (429, CONCURRENCY))

        # slow: 1 slot (requests 1-2 of 4), its own poll, then its window is full.
        status, body = self.submit(SLOW_KEY)
        self.assertEqual(status, 200, body)
        slow_task = body["data"]["taskId"]
        self.assertEqual(self.submit(SLOW_KEY), (429, CONCURRENCY))
        status, body = self.poll(SLOW_KEY, slow_task)
        self.assertEqual((status, body["data"]["state"]), (200, "pending"))
        self.assertEqual(self.poll(SLOW_KEY, slow_task)[0], 200)
        self.assertEqual(self.poll(SLOW_KEY, slow_task), (429, RATE))

        # fast is not slowed by slow's full window; its poll of slow's task is a foreign poll (404).
        status, body = self.poll(KEY, slow_task)
        self.assertEqual((status, body["message"]), (404, "Task not found"))
        for task_id in fast_tasks:
            self.assertEqual(self.poll(KEY, task_id)[0], 200)
        self.assertEqual(self.poll(KEY, fast_tasks[0])[0], 200)  # the 7th
        self.assertEqual(self.poll(KEY, fast_tasks[0]), (429, RATE))

        self.assertEqual(self.submit("sk-nobody"), (401, UNAUTHORIZED))
        self.assertEqual(self.submit(GONE_KEY), (401, UNAUTHORIZED))

        stats = self.sim.stats()
        keys = stats["keys"]
        self.assertEqual(sorted(keys), ["fast", "gone", "slow"])
        self.assertEqual(
            {k: v for k, v in keys["fast"].items()},
            {"requests": 8, "most_in_window": 8, "most_running": 2, "rate_429": 1, "concurrency_429": 1,
             "tasks_created": 2, "foreign_polls": 1, "credits_left": 995.2, "rpm": 7, "concurrency": 2,
             "revoked": False})
        self.assertEqual(
            keys["slow"],
            {"requests": 5, "most_in_window": 5, "most_running": 1, "rate_429": 1, "concurrency_429": 1,
             "tasks_created": 1, "foreign_polls": 0, "credits_left": 2.6, "rpm": 4, "concurrency": 1,
             "revoked": False})
        self.assertEqual((keys["gone"]["requests"], keys["gone"]["tasks_created"], keys["gone"]["revoked"]),
                         (1, 0, True))
        # The top level stays as it was: the most over all keys, and the 429s by kind.
        self.assertEqual((stats["max_requests_in_window"], stats["max_concurrent_tasks"], stats["tasks_created"]),
                         (8, 2, 3))
        self.assertEqual(stats["rate_limited_by_kind"], {"rate": 2, "concurrency": 2})
        self.assertEqual(stats["credits_left"], [995.2, 2.6, 1000])
        self.assertEqual(stats["requests"]["statusTask"]["foreign_poll"], 1)
        for secret in (KEY, SLOW_KEY, GONE_KEY):
            self.assertNotIn(secret, str(stats))

        # A top-up names the key by NAME (or by index, as before).
        self.assertEqual(self.sim.request("POST", "/__sim/credits?key=slow&add=1", key=None),
                         (200, {"key": 1, "name": "slow", "credits": 3.6}))
        self.assertEqual(self.sim.request("POST", "/__sim/credits?key=0&add=1", key=None)[1]["name"], "fast")
        self.assertEqual(self.sim.stats()["keys"]["slow"]["credits_left"], 3.6)


class SimKeysRefused(unittest.TestCase):
    def test_a_bad_keys_argument_names_the_part_and_hides_the_key(self):
        said = []
        cp = run("sim", "--keys", f"a:{KEY}:60:10,b:{SLOW_KEY}:ten:3")
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertIn("--keys entry 2 (b): RPM must be a whole number from 1 (got \"ten\")", cp.stderr)
        said.append(cp.stdout + cp.stderr)
        cp = run("sim", "--keys", f"a:60:{KEY}:10")
        self.assertEqual(cp.returncode, 2)
        self.assertIn("--keys entry 1 (a): RPM must be a whole number from 1 (got 30 characters, not shown)",
                      cp.stderr)
        said.append(cp.stdout + cp.stderr)
        cp = run("sim", "--keys", f"a:{KEY}", "--revoked", "b")
        self.assertEqual(cp.returncode, 2)
        self.assertIn("--revoked: no key named \"b\" in --keys", cp.stderr)
        said.append(cp.stdout + cp.stderr)
        for out in said:
            self.assertNotIn(KEY, out)
            self.assertNotIn(SLOW_KEY, out)


if __name__ == "__main__":
    main()
