"""Issue 21, items 1 and 2, through the real binary: jobs from CSV and JSONL files round-trip into
the queue byte for byte, their errors name the list's own FILE:LINE:COL, vary: counts and ids are
stable, and the cap refuses with the count."""
import json
import os
import sqlite3

from harness import TempDirTest, main, run
from simharness import SimRunTest

# Prompts as a spreadsheet holds them: commas, quotes, a line break, text beyond ASCII.
PROMPTS = {
    "plain": "simple words",
    "commas": "one, two, three",
    "quotes": 'she said "cut", then "print"',
    "newline": "line one\nline two, with comma",
}

CSV_GOOD = ("\ufeffid,prompt,duration\r\n"
            "plain,simple words,4\r\n"
            'commas,"one, two, three",8\r\n'
            'quotes,"she said ""cut"", then ""print""",\r\n'
            '"newline","line one\nline two, with comma",12\r\n')
CSV_BAD_ROW = 'bad,"oops"x,8\r\n'

JSONL_GOOD = '{"id": "j-one", "prompt": "unicode \\u00e9 中 🎬 and \\"quotes\\"", "duration": 4}\r\n'
JSONL_BROKEN = '{"id": "j-two", "prompt": "broken" "duration": 4}\n'

MANIFEST = "batch: lists\ndefaults: {size: 1280*720}\njobs_from: [shots.csv, extra.jsonl]\n"


class WritesBytes:
    def write_bytes(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(text.encode("utf-8"))
        self._written.add(path)


class JobLists(WritesBytes, TempDirTest):

    def stored_prompts(self):
        db = sqlite3.connect(os.path.join(self.dir, "q.db"))
        try:
            rows = db.execute("SELECT job_id, input_json FROM jobs WHERE batch = 'lists'").fetchall()
        finally:
            db.close()
        return {job_id: json.loads(text)["prompt"] for job_id, text in rows}

    def test_bad_row_and_broken_line_are_named_at_their_place_and_nothing_is_enqueued(self):
        self.write("m.yaml", MANIFEST)
        self.write_bytes("shots.csv", CSV_GOOD + CSV_BAD_ROW)
        self.write_bytes("extra.jsonl", JSONL_GOOD + JSONL_BROKEN)
        r = run("validate", "m.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr,
                         "shots.csv:7:11: text after the closing quote of a field; a quote inside a quoted field is "
                         "written twice (\"\")\n"
                         "extra.jsonl:2:36: expected ',' or '}'\n")
        r = run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "q.db")))

    def test_jobs_round_trip_into_the_queue_byte_for_byte_and_enqueue_again_adds_nothing(self):
        self.write("m.yaml", MANIFEST)
        self.write_bytes("shots.csv", CSV_GOOD)
        self.write_bytes("extra.jsonl", JSONL_GOOD)
        r = run("validate", "m.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "m.yaml: ok, batch 'lists', 5 jobs (5 from job lists), 5 renders\n")
        db = os.path.join(self.dir, "q.db")
        r = run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"batch 'lists': 5 added, 0 already in the queue ({db})\n")
        expected = dict(PROMPTS)
        expected["j-one"] = 'unicode \u00e9 中 🎬 and "quotes"'
        self.assertEqual(self.stored_prompts(), expected)
        r = run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r.stdout, f"batch 'lists': 0 added, 5 already in the queue ({db})\n")
        # A changed row is named at its row in the list, as a changed YAML job is at its line.
        self.write_bytes("shots.csv", CSV_GOOD.replace("one, two, three", "one, two, four"))
        r = run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stderr.startswith(f"reelq: {self.dir}/shots.csv:3:1: job 'commas' changed since it was "
                                            "enqueued (prompt differs)"), r.stderr)

    def test_a_bare_csv_says_what_a_manifest_is(self):
        self.write_bytes("shots.csv", CSV_GOOD)
        r = run("validate", "shots.csv", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr,
                         "shots.csv: is a job list, not a manifest. A manifest is a YAML file that names the batch "
                         "and where its jobs come from (docs/manifest.md); save these lines as shots.yaml beside it "
                         "and give that file instead:\n"
                         "  batch: shots\n"
                         "  defaults: {duration: 8, size: 1280*720}\n"
                         "  jobs_from: [shots.csv]\n")
        # The lines it shows make a manifest that reads the list.
        self.write("shots.yaml", "batch: shots\ndefaults: {duration: 8, size: 1280*720}\njobs_from: [shots.csv]\n")
        r = run("validate", "shots.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)


class JobListAdvice(WritesBytes, SimRunTest):
    """What a trial found: a job from a CSV that failed was to be edited "in night.yaml"."""

    def test_a_failed_row_is_to_be_edited_in_its_list_at_its_row(self):
        self.start_sim()
        self.write("night.yaml", "batch: night\ndefaults: {duration: 4, size: 1280*720}\n"
                                 "jobs:\n  - id: own\n    prompt: fine\njobs_from: [shots.csv]\n")
        # An Excel-style empty row (",,") and cells with spaces around them read as the trial wanted.
        self.write_bytes("shots.csv", "id,prompt,duration\r\nfirst,fine too, 8 \r\n,,\r\nnewrow,VIOLATEME now,\r\n")
        r = self.reelq_run("night.yaml")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        csv_path, yaml = os.path.join(self.dir, "shots.csv"), os.path.join(self.dir, "night.yaml")
        self.assertIn(f"  next, CONTENT_VIOLATION: edit those jobs in {csv_path} (`reelq status --failed --db ", r.stdout)
        self.assertIn(f"gives each reason and place), then: reelq run {yaml} --replace-changed\n", r.stdout)
        r = self.reelq("status", "--failed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"edit newrow at {csv_path}:4:1, then: reelq run {yaml} --replace-changed\n", r.stdout)

VARY = """batch: v
jobs:
  - id: skyline
    prompt: a city
    vary: {duration: [4, 8], size: [720*1280, 1280*720]}
  - id: other
    prompt: x
"""


class Variations(TempDirTest):
    def job_ids(self):
        db = sqlite3.connect(os.path.join(self.dir, "q.db"))
        try:
            return sorted(row[0] for row in db.execute("SELECT job_id FROM jobs"))
        finally:
            db.close()

    def test_counted_before_anything_runs_and_ids_stable_across_runs(self):
        self.write("m.yaml", VARY)
        r = run("validate", "m.yaml", cwd=self.dir)
        self.assertEqual(r.stdout, "m.yaml: ok, batch 'v', 5 jobs (4 made by vary:), 5 renders\n")
        r = run("estimate", "m.yaml", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("batch v: 5 jobs (4 made by vary:), 5 renders, 32 s of video"), r.stdout)
        self.assertIn("estimated cost:", r.stdout)
        run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        ids = self.job_ids()
        self.assertEqual(ids, ["other", "skyline-d4-1280x720", "skyline-d4-720x1280", "skyline-d8-1280x720",
                               "skyline-d8-720x1280"])
        r = run("enqueue", "m.yaml", "--db", "q.db", cwd=self.dir)
        self.assertIn("0 added, 5 already in the queue", r.stdout)
        self.assertEqual(self.job_ids(), ids)

    def test_past_max_jobs_is_refused_with_the_count(self):
        prompts = ", ".join(f"p{i}" for i in range(100))
        self.write("m.yaml", "batch: v\njobs:\n  - takes: 1\n    vary:\n"
                             f"      prompt: [{prompts}]\n      duration: [4, 8, 12]\n"
                             "      size: [720*1280, 1280*720, 1024*1792, 1792*1024]\n")
        for command in ("validate", "estimate"):
            r = run(command, "m.yaml", cwd=self.dir)
            self.assertEqual(r.returncode, 2)
            self.assertEqual(r.stderr, "m.yaml:4:5: vary: makes 1200 jobs in this manifest, more than max_jobs allows "
                                       "(1000); if so many are meant, set max_jobs: 1200 under settings: in the "
                                       "manifest\n")


if __name__ == "__main__":
    main()
