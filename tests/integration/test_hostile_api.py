"""`reelq run` against `reelq sim --hostile KIND`: every hostile answer of docs/reliability.md gets
its defined behaviour, and none crashes the run, hangs it, pays twice or writes outside the output
folder."""
import json
import os
import resource
import subprocess
import time

from harness import KEY, REELQ, main
from simharness import SimRunTest

MANIFEST = """batch: hostile
jobs:
  - id: alpha
    prompt: "a lighthouse at dusk"
  - id: beta
    prompt: "a fox in the snow"
  - id: gamma
    prompt: "rain on a tin roof"
"""


class HostileApi(SimRunTest):
    def run_hostile(self, kind, *run_args):
        self.start_sim("--hostile", kind)
        self.write("m.yaml", MANIFEST)
        started = time.monotonic()
        r = self.reelq_run("m.yaml", *run_args, timeout=90)
        self.elapsed = time.monotonic() - started
        self.out = r.stdout + r.stderr
        return r

    def states(self):
        return dict(self.db().execute("SELECT job_id, state || coalesce(':' || fail_code, '') FROM jobs"))

    def files(self):
        return sorted(n for n in os.listdir(os.path.join(self.dir, "renders", "hostile")) if n.endswith(".mp4"))

    def assert_nothing_outside_the_output_folder(self):
        left = sorted(n for n in os.listdir(self.dir) if n not in ("m.yaml", "renders") and not n.startswith("q.db"))
        self.assertEqual(left, [])

    def assert_all_succeeded(self, r):
        self.assertEqual(r.returncode, 0, self.out)
        self.assertEqual(set(self.states().values()), {"succeeded"})
        self.assertEqual(self.files(), ["alpha-t1.mp4", "beta-t1.mp4", "gamma-t1.mp4"])
        self.assert_nothing_outside_the_output_folder()

    def assert_one_failed_with(self, r, code, message):
        """One take stops waiting with `code`, its taskId kept; the others finish; no task is made twice."""
        self.assertEqual(r.returncode, 1, self.out)
        states = self.states()
        failed = [j for j, s in states.items() if s == "failed:" + code]
        self.assertEqual(len(failed), 1, states)
        self.assertEqual(sorted(s for s in states.values() if s != "failed:" + code), ["succeeded", "succeeded"])
        self.assertEqual(len(self.files()), 2)
        task_id, msg = self.db().execute("SELECT task_id, fail_msg FROM jobs WHERE job_id = ?", failed).fetchone()
        self.assertTrue(task_id.startswith("task_"))
        self.assertIn(message, msg)
        self.assertEqual(self.sim.stats()["tasks_created"], 3)
        self.assert_nothing_outside_the_output_folder()
        # `retry` asks the API again about the same task: it never pays for a second render.
        retry = self.reelq("retry", "--fail-code", code)
        self.assertEqual(retry.returncode, 0, retry.stderr)
        self.assertIn("1 to ask the API about again", retry.stdout)
        again = self.reelq_run("--batch", "hostile", cmd="resume", timeout=90)
        self.assertEqual(again.returncode, 1, again.stdout + again.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], 3)
        return failed[0]

    def test_a_success_whose_result_json_is_not_json_fails_its_take_and_the_run_ends(self):
        r = self.run_hostile("result-not-json")
        self.assert_one_failed_with(r, "RESULT_UNREADABLE", "resultJson that is not a JSON object")

    def test_a_success_without_result_urls_fails_its_take_and_the_run_ends(self):
        r = self.run_hostile("no-result-urls")
        self.assert_one_failed_with(r, "RESULT_UNREADABLE", "success without resultUrls")

    def test_replace_changed_keeps_a_take_whose_task_may_still_be_collected(self):
        # Issue 17 item 2: --replace-changed wiped the taskId of a RESULT_UNREADABLE take (rendered, paid).
        r = self.run_hostile("result-not-json")
        self.assertEqual(r.returncode, 1, self.out)
        (job, task_id) = self.db().execute(
            "SELECT job_id, task_id FROM jobs WHERE fail_code = 'RESULT_UNREADABLE'").fetchone()
        line = {"alpha": 3, "beta": 5, "gamma": 7}[job]
        prompt = {"alpha": "a lighthouse at dusk", "beta": "a fox in the snow", "gamma": "rain on a tin roof"}[job]
        self.write("m.yaml", MANIFEST.replace(prompt, prompt + ", again"))
        again = self.reelq_run("m.yaml", "--replace-changed", timeout=90)
        out = again.stdout + again.stderr
        self.assertIn(
            f"m.yaml:{line}:5: job '{job}' take 1 changed (prompt differs) but it holds task {task_id}, which the API "
            f"may have rendered and charged for or may still render (RESULT_UNREADABLE); collect it first: reelq "
            f"retry --db {os.path.join(self.dir, 'q.db')} --batch hostile --job {job} --fail-code RESULT_UNREADABLE "
            f"(asks about the same task, not paid again); it cannot be replaced and stays as it is", out)
        self.assertEqual(self.db().execute("SELECT task_id FROM jobs WHERE job_id = ?", (job,)).fetchone()[0], task_id)
        self.assertEqual(self.sim.stats()["tasks_created"], 3)

    def test_a_file_url_result_is_never_fetched(self):
        r = self.run_hostile("file-result-url")
        self.assert_one_failed_with(r, "RESULT_UNREADABLE", "not http(s): 'file:///etc/passwd'")

    def test_a_status_answer_about_another_task_never_settles_a_take(self):
        r = self.run_hostile("foreign-task")
        self.assert_one_failed_with(r, "STATUS_MISMATCH", "the answer is about task 'task_")
        # Each succeeded take holds its own task's video, recorded under its own taskId.
        rows = self.db().execute("SELECT task_id, result_urls FROM jobs WHERE state = 'succeeded'").fetchall()
        for task_id, urls in rows:
            self.assertIn("/files/" + task_id + "/", urls)

    def test_a_state_flipping_back_from_success_changes_nothing(self):
        self.assert_all_succeeded(self.run_hostile("flip-state"))

    def test_an_unknown_state_counts_as_running(self):
        r = self.run_hostile("unknown-state")
        self.assert_all_succeeded(r)
        self.assertIn("unknown state 'queued_for_gpu', treated as running", self.out)

    # Issue 17: a success without a usable taskId was "ambiguous" and resubmitted (5 paid tasks when
    # every answer was so). The success proves the task was made: the take is held at once.
    def assert_held_unnamed(self, r):
        self.assertEqual(r.returncode, 1, self.out)
        states = self.states()
        held = [j for j, s in states.items() if s == "failed:TASK_ID_UNUSABLE"]
        self.assertEqual(len(held), 1, states)
        self.assertEqual(sorted(s for s in states.values() if not s.startswith("failed")), ["succeeded", "succeeded"])
        self.assertEqual(self.sim.stats()["tasks_created"], 3)
        self.assertEqual(len(self.files()), 2)
        (msg,) = self.db().execute("SELECT fail_msg FROM jobs WHERE job_id = ?", held).fetchone()
        self.assertEqual(msg, "success without a usable taskId (none, or not a short printable id): the API made the "
                              "task (paid for) but reelq cannot ask about it; held, not resubmitted: `reelq retry` "
                              "resubmits it and pays for a second render")
        self.assertIn("TASK_ID_UNUSABLE: the API made these tasks (paid for) without a taskId reelq can use, so they "
                      "cannot be collected; reelq retry --db " + os.path.join(self.dir, "q.db") + " --batch hostile "
                      "--fail-code TASK_ID_UNUSABLE submits them again and pays again", self.out)
        self.assertNotIn("xxxxxxxxxx", self.out)
        # The made task is counted as created (paid), not as a possible charge.
        status = self.reelq("status", "--json")
        self.assertEqual(json.loads(status.stdout)[0]["spend"]["tasks"], 3, status.stdout)
        # retry says, before anything is sent, that resubmitting pays again; the resume then does.
        retry = self.reelq("retry", "--fail-code", "TASK_ID_UNUSABLE")
        self.assertEqual(retry.returncode, 0, retry.stderr)
        self.assertIn("1 of them was made by the API without a taskId reelq can use: its first task is paid for and "
                      "cannot be collected, and resubmitting pays for another render. To keep from paying twice, "
                      "cancel it instead: reelq cancel --db " + os.path.join(self.dir, "q.db") + " --job ID",
                      retry.stdout)
        self.assertEqual(self.sim.stats()["tasks_created"], 3)
        (note,) = self.db().execute("SELECT note FROM jobs WHERE job_id = ?", held).fetchone()
        self.assertEqual(note, "charged twice: the first task was made without a usable taskId")
        again = self.reelq_run("--batch", "hostile", cmd="resume", timeout=90)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], 4)
        self.assertEqual(set(self.states().values()), {"succeeded"})

    def test_a_task_id_no_client_can_keep_holds_the_take_without_resubmitting(self):
        self.assert_held_unnamed(self.run_hostile("bad-task-id"))

    def test_a_success_without_a_task_id_holds_the_take_without_resubmitting(self):
        self.assert_held_unnamed(self.run_hostile("success-no-taskid"))

    # Issue 17: a proxy's 524 after the API made the task was "transient": resubmitted silently,
    # two tasks, "1 task created", nothing flagged.
    def test_a_gateway_524_after_the_task_was_made_is_an_ambiguous_submit(self):
        r = self.run_hostile("gateway-524-after-create")
        self.assert_all_succeeded(r)
        self.assertEqual(self.sim.stats()["tasks_created"], 4)
        self.assertIn("submit ambiguous (HTTP 524 without an API envelope: error code: 524 A timeout occurred)", self.out)
        flagged = self.db().execute("SELECT count(*) FROM jobs WHERE note = 'possible duplicate charge'").fetchone()[0]
        self.assertEqual(flagged, 1)
        status = self.reelq("status", "--json")
        spent = json.loads(status.stdout)[0]["spend"]
        self.assertEqual((spent["tasks"], spent["possible_duplicates"]), (3, 1), status.stdout)

    def test_a_gateway_524_after_the_task_was_made_is_held_when_asked_to(self):
        r = self.run_hostile("gateway-524-after-create", "--on-ambiguous", "hold")
        self.assertEqual(r.returncode, 1, self.out)
        states = self.states()
        self.assertEqual(sorted(states.values()), ["failed:AMBIGUOUS_SUBMIT", "succeeded", "succeeded"])
        self.assertEqual(self.sim.stats()["tasks_created"], 3)

    # Issue 17: an API that echoed the Authorization header in state and failCode put the key on
    # stdout, in the database and the reports, with escape sequences and a 100 KB failMsg.
    def test_the_key_echoed_in_state_and_fail_code_is_redacted_printable_and_bounded(self):
        r = self.run_hostile("key-echo")
        self.assertEqual(r.returncode, 1, self.out)
        code, msg = self.db().execute("SELECT fail_code, fail_msg FROM jobs WHERE state = 'failed'").fetchone()
        self.assertEqual(code, "Authorization: Bearer [redacted]?[2J" + "C" * 28 + "...")
        self.assertTrue(msg.startswith("Authorization: Bearer [redacted] MMMM"), msg[:80])
        self.assertEqual(len(msg), 503)
        self.assertIn("unknown state 'Authorization: Bearer [redacted]?]0;owned?', treated as running", self.out)
        reports = [self.reelq("report", "--format", fmt) for fmt in ("csv", "json")]
        outputs = [r.stdout, r.stderr] + [x.stdout + x.stderr for x in reports]
        for text in outputs:
            self.assertNotIn(KEY, text)
            self.assertNotIn("\x1b", text)
            self.assertNotIn("M" * 600, text)
        dump = "\n".join(self.db().iterdump())
        self.assertNotIn(KEY, dump)
        self.assertNotIn("\x1b", dump)
        self.assertNotIn("M" * 600, dump)

    # Issue 17: one success with 3,000 resultUrls made reelq write 2,564 files.
    def test_a_success_with_thousands_of_result_urls_fetches_none_of_them(self):
        r = self.run_hostile("many-result-urls")
        self.assert_one_failed_with(r, "RESULT_UNREADABLE", "success with 3000 result URLs; a take has at most 4")
        # Only the two other takes' videos were asked for.
        self.assertEqual(sum(self.sim.stats()["requests"]["files"].values()), 2)

    def test_retry_after_of_a_day_is_capped(self):
        r = self.run_hostile("retry-after-day")
        self.assert_all_succeeded(r)
        self.assertIn("Retry-After asks 86400000 ms; pausing 1500 ms, the most reelq waits", self.out)
        self.assertLess(self.elapsed, 60)

    def test_http_200_with_code_429_in_the_body_is_a_429(self):
        r = self.run_hostile("code-429-in-200")
        self.assert_all_succeeded(r)
        self.assertIn("rate limited (429: Rate limit exceeded)", self.out)
        attempts = [a for (a,) in self.db().execute("SELECT attempts FROM jobs")]
        self.assertEqual(attempts, [1, 1, 1])

    def test_a_100_mb_answer_is_not_read_and_is_asked_again(self):
        r = self.run_hostile("huge-body")
        self.assert_all_succeeded(r)
        events = self.db().execute("SELECT count(*) FROM events WHERE message LIKE '%answer over 4194304 bytes%'")
        self.assertEqual(events.fetchone()[0], 1)

    def test_a_task_the_api_answers_404_for_at_first_is_waited_for_not_failed(self):
        # Task 1 answers 404 for 4 minutes after it was made (a replica that has not seen it yet):
        # reelq keeps asking, more slowly, and collects it; nothing is submitted twice.
        r = self.run_hostile("late-task")
        self.assert_all_succeeded(r)
        self.assertEqual(self.sim.stats()["tasks_created"], 3)
        not_found = self.db().execute("SELECT count(*) FROM events WHERE outcome = 'not_found'").fetchone()[0]
        self.assertGreaterEqual(not_found, 3)

    def test_a_task_the_api_never_knows_fails_after_ten_minutes_and_its_retry_warns_of_a_second_charge(self):
        r = self.run_hostile("lost-task")
        self.assertEqual(r.returncode, 1, self.out)
        states = self.states()
        lost = [j for j, s in states.items() if s == "failed:TASK_NOT_FOUND"]
        self.assertEqual(len(lost), 1, states)
        (msg,) = self.db().execute("SELECT fail_msg FROM jobs WHERE job_id = ?", lost).fetchone()
        self.assertRegex(msg, r"^the API said it does not know task task_\w+ for 1[01]m\d\ds \(\d+ answers in a row\)$")
        self.assertGreaterEqual(self.elapsed, 3)  # 10 minutes at time scale 0.005
        self.assertEqual(self.sim.stats()["tasks_created"], 3)
        self.assertIn("TASK_NOT_FOUND: the API made these tasks, then said for 10 minutes that it did not know them; "
                      "they may still render and be charged. Check your apixo dashboard first; only if they are not "
                      "there: reelq retry --db ", self.out)
        self.assertIn("--fail-code TASK_NOT_FOUND (may be charged twice)", self.out)
        retry = self.reelq("retry", "--fail-code", "TASK_NOT_FOUND")
        self.assertEqual(retry.returncode, 0, retry.stderr)
        self.assertIn("1 of them failed TASK_NOT_FOUND: the API made its task, then said for 10 minutes that it did "
                      "not know it; if it still renders, resubmitting is charged twice (flagged \"possible duplicate "
                      "charge\")", retry.stdout)
        (note,) = self.db().execute("SELECT note FROM jobs WHERE job_id = ?", lost).fetchone()
        self.assertEqual(note, "possible duplicate charge")

    # Hostile result URLs and downloads: the take's download fails (or succeeds) inside the output
    # folder; nothing is resubmitted, nothing hangs.
    def assert_download_failed(self, r, message, attempts):
        self.assertEqual(r.returncode, 1, self.out)
        states = self.states()
        failed = [j for j, s in states.items() if s == "failed:DOWNLOAD_FAILED"]
        self.assertEqual(len(failed), 1, states)
        self.assertEqual(len(self.files()), 2)
        (msg,) = self.db().execute("SELECT fail_msg FROM jobs WHERE job_id = ?", failed).fetchone()
        self.assertIn(message, msg)
        stats = self.sim.stats()
        self.assertEqual(stats["tasks_created"], 3)
        hostile = {o: n for o, n in stats["requests"]["files"].items() if o.startswith("hostile_")}
        self.assertEqual(list(hostile.values()), [attempts], stats["requests"]["files"])
        left = [n for n in os.listdir(os.path.join(self.dir, "renders", "hostile")) if n.endswith(".part")]
        self.assertEqual(left, [], "no temporary file left")
        self.assert_nothing_outside_the_output_folder()
        self.assertLess(self.elapsed, 60)
        return failed[0]

    def test_a_result_url_climbing_out_with_dot_dot_is_saved_under_the_jobs_own_name(self):
        r = self.run_hostile("escaping-result-url")
        self.assert_all_succeeded(r)
        files = self.sim.stats()["requests"]["files"]
        self.assertEqual(files.get("hostile_escaping_result_url"), 1, files)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "etc")))

    def test_reelq_download_keeps_the_batchs_max_attempts_and_max_download_mb(self):
        # Issue 17 item 15: `reelq download` made 5 attempts of up to 4096 MB where the batch said 1 of 2 MB.
        self.start_sim("--hostile", "endless-download")
        self.write("m.yaml", MANIFEST.replace("jobs:", "settings:\n  max_attempts: 1\n  max_download_mb: 2\njobs:"))
        started = time.monotonic()
        r = self.reelq_run("m.yaml", timeout=90)
        self.out = r.stdout + r.stderr
        self.elapsed = time.monotonic() - started
        failed = self.assert_download_failed(r, "download over 2097152 bytes, stopped: not a video", 1)
        # Bounded files, so that a download that ignores the cap cannot fill the disk.
        cap = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
        d = subprocess.run([REELQ, "download", "--db", "q.db"], cwd=self.dir, capture_output=True, text=True,
                           timeout=90, preexec_fn=cap)
        self.assertEqual(d.returncode, 1, d.stdout + d.stderr)
        self.assertTrue(d.stdout.endswith("0 fetched, 1 failed\n"), d.stdout)
        files = self.sim.stats()["requests"]["files"]
        self.assertEqual(files.get("hostile_endless_download"), 2, files)  # the run's one, then download's one
        (msg,) = self.db().execute("SELECT fail_msg FROM jobs WHERE job_id = ?", (failed,)).fetchone()
        self.assertIn("download over 2097152 bytes, stopped: not a video", msg)

    def test_a_redirect_loop_is_not_followed(self):
        r = self.run_hostile("redirect-loop")
        self.assert_download_failed(r, "download answered HTTP 302, a redirect to 'http://127.0.0.1:", 1)
        self.assertIn("reelq does not follow redirects", self.out)

    def test_a_redirect_to_a_file_url_is_not_followed(self):
        r = self.run_hostile("redirect-to-file")
        self.assert_download_failed(r, "a redirect to 'file:///etc/passwd': reelq does not follow redirects", 1)

    def test_a_download_without_end_stops_at_the_size_cap_each_attempt(self):
        # --max-download-mb 4 shows in seconds what the 4096 MB default does at 4 GB.
        r = self.run_hostile("endless-download", "--max-download-mb", "4")
        self.assert_download_failed(r, "download over 4194304 bytes, stopped: not a video", 5)

    def test_a_trickling_download_is_abandoned_by_the_progress_rule_each_attempt(self):
        r = self.run_hostile("trickle-download")
        self.assert_download_failed(r, "download too slow: ", 5)
        self.assertIn("reelq asks for in that time; abandoned", self.out)


if __name__ == "__main__":
    main()
