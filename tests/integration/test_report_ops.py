"""report, retry, cancel, download, status warnings, estimate, batches and run --rehearse,
end to end through the binary against `reelq sim` on 127.0.0.1."""
import csv
import io
import json
import os
import sqlite3
import subprocess
import time

from harness import KEY, REELQ, main, run
from simharness import SCALE, SimRunTest

# Prompts a spreadsheet user will paste: commas, quotes, newlines, emoji, CJK, a formula-looking
# start, tabs, trailing spaces. YAML double-quoted strings carry each one exactly.
HOSTILE = {
    "commas": 'a city, at night, with "quotes" and \'single\' ones',
    "newlines": "line one\nline two\r\nline three",
    "emoji": "a cat 🐈‍⬛ riding a 🚲 — fast",
    "chinese": "一只猫在雨中的霓虹街道上行走，电影感",
    "formula": "=HYPERLINK(\"http://example.com\",\"x\")",
    "tabs": "\ttabbed\tand trailing  ",
}


def yaml_quote(s):
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def manifest(batch, prompts, extra=""):
    lines = [f"batch: {batch}", "defaults: {duration: 8, size: 1280*720}", "jobs:"]
    for job_id, prompt in prompts.items():
        lines += [f"  - id: {job_id}", f"    prompt: {yaml_quote(prompt)}"]
    return "\n".join(lines) + "\n" + extra


class ReportsAndOperations(SimRunTest):
    def count_succeeded(self):
        try:
            with self.db() as db:
                return db.execute("SELECT count(*) FROM jobs WHERE state = 'succeeded'").fetchone()[0]
        except sqlite3.OperationalError:  # the run has not created its tables yet
            return 0

    def run_batch(self, text, *args, expect=0):
        self.write("m.yaml", text)
        r = self.reelq_run("m.yaml", *args)
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        return r

    def test_csv_round_trips_hostile_prompts_byte_for_byte_through_pythons_csv_module(self):
        self.start_sim()
        self.run_batch(manifest("hostile", HOSTILE))
        r = self.reelq("report", "-o", "out.txt")  # guessed CSV before: the name must say the format
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "reelq: cannot tell the format of out.txt from its name: end it in .csv, .json "
                                   "or .html, or pass --format csv|json|html\n")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out.txt")))
        r = self.reelq("report", "-o", "out.csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.dir, "out.csv"), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([row["job_id"] for row in rows], list(HOSTILE))
        for row in rows:
            self.assertEqual(row["prompt"], HOSTILE[row["job_id"]])
            self.assertEqual(row["state"], "succeeded")
            self.assertEqual(row["file"], row["job_id"] + "-t1.mp4")
            self.assertEqual(row["bytes"], "11296")
            self.assertRegex(row["submitted_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertGreater(float(row["render_seconds"]), 0)
        # Standard output carries the same bytes as the file.
        stdout = subprocess.run([REELQ, "report", "--db", "q.db"], cwd=self.dir, capture_output=True).stdout
        with open(os.path.join(self.dir, "out.csv"), "rb") as f:
            raw = f.read()
        self.assertEqual(stdout, raw)
        self.assertTrue(raw.startswith(b"batch,job_id,take,mode,duration,size,resolution,prompt,images,state,"
                                       b"task_id,fail_code,fail_msg,attempts,submitted_at,completed_at,"
                                       b"render_seconds,result_url,file,bytes,sha256,note\r\n"))
        self.assertFalse(raw.startswith(b"\xef\xbb\xbf"))

    def test_json_report_has_every_take_with_its_history(self):
        self.start_sim()
        self.run_batch(manifest("j", {"ok": "fine", "bad": "VIOLATEME now"}), expect=1)
        r = self.reelq("report", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        jobs = {j["job_id"]: j for j in doc["batches"][0]["jobs"]}
        self.assertEqual(jobs["bad"]["fail_code"], "CONTENT_VIOLATION")
        self.assertEqual(jobs["ok"]["files"][0]["file"], "ok-t1.mp4")
        endpoints = [e["endpoint"] for e in jobs["ok"]["events"]]
        self.assertEqual(endpoints[0], "generateTask")
        self.assertEqual(endpoints[-1], "download")
        self.assertIn("statusTask", endpoints)

    def test_report_of_a_batch_still_running_lists_queued_and_running_rows(self):
        self.start_sim("--concurrency", "2")
        self.write("m.yaml", manifest("live", {f"j{i}": f"scene {i}" for i in range(8)}))
        p = self.spawn_run("m.yaml", "--max-concurrent", "2", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            states = set()
            while time.monotonic() < deadline and not {"running", "queued"} <= states:
                time.sleep(0.1)
                r = self.reelq("report")
                self.assertEqual(r.returncode, 0, r.stderr)
                rows = list(csv.DictReader(io.StringIO(r.stdout)))
                # The run loads the manifest in one transaction: before it (a slow start, as under
                # the sanitizers) the report has no row, after it all 8, never a part of them.
                self.assertIn(len(rows), (0, 8))
                states = {row["state"] for row in rows}
            self.assertTrue({"running", "queued"} <= states, states)
        finally:
            p.wait(timeout=60)

    def test_retry_requeues_failures_by_code_and_resume_runs_them(self):
        self.start_sim()
        r = self.run_batch(manifest("r", {"ok": "fine", "bad": "VIOLATEME now", "refused": "REJECTME"}), expect=1)
        self.assertIn("  failures: CONTENT_VIOLATION 2\n  next, CONTENT_VIOLATION: edit those jobs in the manifest "
                      f"(`reelq status --failed --db {os.path.join(self.dir, 'q.db')} --batch r` gives each reason), "
                      "then: "
                      f"reelq run {os.path.join(self.dir, 'm.yaml')} --replace-changed\n", r.stdout)
        created = self.sim.stats()["tasks_created"]
        r = self.reelq("retry", "--batch", "r", "--fail-code", "CONTENT-VIOLATION")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "reelq: no failed take has fail code 'CONTENT-VIOLATION' (did you mean "
                                   "'CONTENT_VIOLATION'?); the failed takes have: CONTENT_VIOLATION (2). Nothing was "
                                   "changed\n")
        r = self.reelq("retry", "--batch", "r", "--job", "nope")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "reelq: no job nope in batch 'r'; nothing was changed\n")
        r = self.reelq("retry", "--batch", "r", "--job", "bad")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 requeued for submitting", r.stdout)
        self.assertIn(f"reelq resume --db {os.path.join(self.dir, 'q.db')} --batch r", r.stdout)
        r = self.reelq_run(cmd="resume")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], created + 1)
        history = self.db().execute("SELECT e.endpoint FROM events e JOIN jobs j ON e.job = j.id WHERE "
                                    "j.job_id = 'bad' ORDER BY e.id").fetchall()
        self.assertEqual([h[0] for h in history].count("generateTask"), 2)
        self.assertIn(("retry",), history)

    def test_status_failed_gives_each_reason_and_report_state_keeps_one_state(self):
        self.start_sim()
        self.run_batch(manifest("r", {"ok": "fine", "bad": "VIOLATEME now", "later": "fine too"}), expect=1)
        db, yaml = os.path.join(self.dir, "q.db"), os.path.join(self.dir, "m.yaml")
        r = self.reelq("status", "--failed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout,
                         "batch r: 1 take failed\n"
                         "JOB  TAKE  CODE               MESSAGE                                  WHAT TO TYPE\n"
                         "bad     1  CONTENT_VIOLATION  Content does not meet safety guidelines  edit bad in "
                         f"{yaml}, then: reelq run {yaml} --replace-changed\n")
        r = self.reelq("status", "--failed", "--json")
        self.assertEqual((r.returncode, r.stderr), (2, "reelq status: --failed is a table for people; `reelq report "
                                                       "--state failed --format json` is its machine-readable form\n"))
        r = self.reelq("report", "--state", "failed")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual([(row["job_id"], row["state"]) for row in rows], [("bad", "failed")])
        r = self.reelq("report", "--state", "succeeded", "--format", "json")
        self.assertEqual(sorted(t["job_id"] for t in json.loads(r.stdout)["batches"][0]["jobs"]), ["later", "ok"])
        r = self.reelq("report", "--state", "done")
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertEqual(r.stderr, "reelq: --state: unknown state 'done'; the states are: queued, submitting, running, "
                                   "downloading, succeeded, failed, cancelled\n")

    def test_the_commands_to_type_start_the_way_reelq_was_run(self):
        # As the README has it: build/reelq, not on PATH. A `reelq ...` to type would not run.
        bare = dict(os.environ, PATH="/usr/bin:/bin", APIXO_API_KEY=KEY)
        here = os.path.dirname(REELQ)
        me = os.path.join(os.path.realpath(here), os.path.basename(REELQ))
        self.start_sim()
        self.write("m.yaml", manifest("r", {"ok": "fine", "bad": "VIOLATEME now"}))
        db, yaml = os.path.join(self.dir, "q.db"), os.path.join(self.dir, "m.yaml")
        r = subprocess.run(["./" + os.path.basename(REELQ), "run", yaml, "--db", db, "--api-base", self.sim.base,
                            "--time-scale", SCALE], cwd=here, env=bare, capture_output=True, text=True)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"  next, CONTENT_VIOLATION: edit those jobs in the manifest (`{me} status --failed --db {db} "
                      f"--batch r` gives each reason), then: {me} run {yaml} --replace-changed\n", r.stdout)
        r = subprocess.run([REELQ, "retry", "--db", db, "--job", "bad"], env=bare, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"Run them with: {REELQ} resume --db {db}\n", r.stdout)
        # With this reelq on PATH (the harness puts it there, as an install would): plain `reelq`.
        r = self.reelq("status")
        self.assertIn(f"no runner active: `reelq resume --db {db} --batch r` continues it\n", r.stdout)

    def test_cancel_during_a_run_stops_queued_jobs_and_lets_running_ones_finish(self):
        self.start_sim("--concurrency", "2")
        self.write("m.yaml", manifest("c", {f"j{i}": f"scene {i}" for i in range(10)}))
        p = self.spawn_run("m.yaml", "--max-concurrent", "2", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.count_succeeded() < 1:
            time.sleep(0.05)
        r = self.reelq("cancel")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "reelq cancel: say what to cancel: --batch NAME, --job ID, or --all\n")
        r = self.reelq("cancel", "--batch", "c")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^\d+ cancelled")
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, out + err)
        db = self.db()
        cancelled = db.execute("SELECT count(*) FROM jobs WHERE state = 'cancelled'").fetchone()[0]
        succeeded = db.execute("SELECT count(*) FROM jobs WHERE state = 'succeeded'").fetchone()[0]
        self.assertGreater(cancelled, 0)
        self.assertEqual(cancelled + succeeded, 10)
        self.assertEqual(self.sim.stats()["tasks_created"], succeeded)  # no cancelled job was ever sent
        self.assertEqual(db.execute("SELECT count(*) FROM jobs WHERE state = 'cancelled' AND "
                                    "request_body IS NOT NULL").fetchone()[0], 0)

    def test_cancel_says_that_tasks_already_at_the_api_finish_and_are_paid_for(self):
        self.write("m.yaml", manifest("k", {"a": "x", "b": "y", "c": "z"}))
        self.assertEqual(self.reelq("enqueue", "m.yaml").returncode, 0)
        with self.db() as db:
            db.execute("UPDATE jobs SET state = 'running', task_id = 'task_1' WHERE job_id = 'a'")
        r = self.reelq("cancel", "--batch", "k")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "2 cancelled; 1 already at the API will finish and be downloaded (the apixo API "
                                   "has no cancel endpoint, so they are paid for). `reelq retry --db "
                                   f"{os.path.join(self.dir, 'q.db')} --cancelled --batch k` brings them back.\n")

    def test_status_warns_of_results_not_on_disk_and_download_fetches_them(self):
        self.start_sim()
        self.run_batch(manifest("d", {"one": "a", "two": "b"}))
        os.remove(os.path.join(self.dir, "renders", "d", "two-t1.mp4"))
        r = self.reelq("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: 1 rendered result is not on disk", r.stdout)
        self.assertRegex(r.stdout, r"d two: file missing from the output folder; URL valid for about 2[34]h\d\dm more")
        self.assertIn(f"reelq download --db {os.path.join(self.dir, 'q.db')}", r.stdout)
        r = self.reelq("status", "--json")
        self.assertEqual(json.loads(r.stdout)[0]["not_on_disk"], 1)
        r = self.reelq("download")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("two: on disk (1 file)", r.stdout)
        self.assertEqual(os.path.getsize(os.path.join(self.dir, "renders", "d", "two-t1.mp4")), 11296)
        r = self.reelq("status")
        self.assertNotIn("warning", r.stdout)
        self.assertEqual(self.reelq("download").stdout, "every result is on disk\n")
        # A file there but edited since (another size) is named as changed, not as missing.
        with open(os.path.join(self.dir, "renders", "d", "one-t1.mp4"), "ab") as f:
            f.write(b"an edit")
        r = self.reelq("status")
        self.assertIn("d one: file in the output folder changed since its download (a download keeps it and "
                      "fetches the result beside it)", r.stdout)
        r = self.reelq("download")
        self.assertIn("one: one-t1.mp4 was already in the output", r.stdout)
        with open(os.path.join(self.dir, "renders", "d", "one-t1.mp4"), "rb") as f:
            self.assertTrue(f.read().endswith(b"an edit"))  # the edit is kept

    def test_batches_lists_every_batch_with_counts(self):
        self.start_sim()
        self.run_batch(manifest("first", {"a": "x", "b": "VIOLATEME"}), expect=1)
        self.run_batch(manifest("second", {"c": "y"}))
        r = self.reelq("batches")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("BATCH"))
        # Issue 18 item 10: SPENT (rendered takes) and POSSIBLY (failed tasks, possible duplicates).
        self.assertRegex(lines[1], r"^first\s+2\s+1\s+1\s+0\s+0\s+\$2\.40\s+\$2\.40\s+\d+s ago")
        self.assertRegex(lines[2], r"^second\s+1\s+1\s+0\s+0\s+0\s+\$2\.40\s+\$0\.00\s+\d+s ago")

    def test_estimate_prices_what_is_left_to_render_and_what_the_batch_has_cost(self):
        self.start_sim()
        self.run_batch(manifest("e", {"a": "x", "b": "y"}))
        # Two more jobs of 8 s at 720p: the first two are rendered and paid for already.
        self.write("m.yaml", manifest("e", {"a": "x", "b": "y", "c": "z", "d": "w"}))
        r = run("estimate", "m.yaml", cwd=self.dir, env={"REELQ_DB": "q.db"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("estimated cost: $9.60", r.stdout)  # the whole manifest: 4 x 8 s x $0.30
        self.assertRegex(r.stdout, r"left to render: 2 renders, 16 s of video, \$4\.80; at least ")
        self.assertIn("spent so far: $4.80 for 2 rendered takes (2 tasks created)", r.stdout)

    def test_estimate_names_failed_jobs_whose_spec_changed_and_what_replace_changed_would_cost(self):
        self.start_sim()
        self.run_batch(manifest("e", {"a": "x", "b": "VIOLATEME"}), expect=1)
        # The failed job's prompt fixed: a plain run leaves it out, --replace-changed renders it.
        self.write("m.yaml", manifest("e", {"a": "x", "b": "a calmer sea"}))
        r = run("estimate", "m.yaml", cwd=self.dir, env={"REELQ_DB": "q.db"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("  changed since enqueued: 1 take not rendered with the manifest's spec ($2.40); a plain run "
                      "leaves it out, `reelq run --replace-changed` renders it", r.stdout)
        self.assertIn("left to render: nothing", r.stdout)
        r = self.reelq_run("m.yaml", "--replace-changed")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = run("estimate", "m.yaml", cwd=self.dir, env={"REELQ_DB": "q.db"})
        self.assertNotIn("changed since enqueued", r.stdout)

    def test_estimate_prices_a_manifest_and_refuses_sizes_it_cannot_price(self):
        self.write("m.yaml", manifest("e", {"a": "x", "b": "y"}, "  - id: big\n    prompt: z\n    size: 1792*1024\n"
                                                             "    duration: 12\n    takes: 2\n"))
        r = run("estimate", "m.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("batch e: 3 jobs, 4 renders, 40 s of video (sora-2-pro)", r.stdout)
        self.assertIn("estimated cost: $16.80", r.stdout)  # 2 x 8 s x $0.30 + 2 x 12 s x $0.50
        self.assertIn("wall time: at least", r.stdout)
        self.write("p.json", '{"models": {"sora-2-pro": {"1280*720": 1.0}}}')
        r = run("estimate", "m.yaml", "--prices", "p.json", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn("estimated cost: at least $16.00, and unknown for the 2 renders with no price", r.stdout)
        self.assertIn("p.json has no price for sora-2-pro at 1792*1024", r.stderr)
        self.write("m1.yaml", "batch: one\nmodel: sora-3\njobs:\n  - id: a\n    prompt: p\n")
        r = run("estimate", "m1.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn("1 job, 1 render,", r.stdout)
        self.assertIn("estimated cost: unknown (no render has a price in the table)", r.stdout)
        self.assertIn("wall time: at least 3m00s (1 render at ~3 min each", r.stdout)
        self.assertIn("installed, PREFIX/share/reelq/prices.json", r.stderr)
        self.write("bad.json", '{"models": {"sora-2-pro": {"1280*720": "free"}}}')
        r = run("estimate", "m.yaml", "--prices", "bad.json", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "reelq: bad.json: models.sora-2-pro.1280*720 must be a price per second, "
                                   "a number >= 0 (got free)\n")

    def test_rehearse_runs_the_batch_on_the_built_in_simulator_without_a_key_or_the_real_queue(self):
        self.write("m.yaml", manifest("reh", {f"j{i}": f"scene {i}" for i in range(6)}, "  - prompt: VIOLATEME\n"))
        r = run("run", "--rehearse", "m.yaml", "--time-scale", "0.01", cwd=self.dir, timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # the violation fails, as it would for real
        self.assertIn("nothing is sent to apixo", r.stdout)
        self.assertIn("0 answered 429", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "reelq.db")))
        folder = os.path.join(self.dir, "renders", "reh.rehearsal")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "renders", "reh")))
        with open(os.path.join(folder, "report.csv"), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 7)
        self.assertEqual(sum(row["state"] == "succeeded" for row in rows), 6)
        self.assertTrue(os.path.exists(os.path.join(folder, "report.html")))
        self.assertEqual(len([n for n in os.listdir(folder) if n.endswith(".mp4")]), 6)

    def test_report_errors_are_clear(self):
        r = run("report", "--db", "none.db", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"no queue database at {os.path.join(self.dir, 'none.db')}", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "none.db")))
        r = run("report", "--db", "none.db", "--format", "pdf", cwd=self.dir)
        self.assertEqual(r.stderr, "reelq: --format must be csv, json or html (got \"pdf\")\n")


if __name__ == "__main__":
    main()
