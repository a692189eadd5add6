"""A finished batch whose project folder, or output folder, was moved or renamed (issue 18 items 1 and 2,
issue 17 item 11): reelq finds its queue, manifest, images and results where they are now, fetches
nothing again, re-creates no old folder and renders nothing twice. End to end against `reelq sim`."""
import hashlib
import html.parser
import os
import shutil
import socket
import urllib.parse

from harness import KEY, SOURCE, main, run
from simharness import SCALE, SimRunTest

TINY_PNG = os.path.join(SOURCE, "tests", "manifests", "fixtures", "tiny.png")

MANIFEST = """batch: night
defaults: {duration: 4}
jobs:
  - id: f01
    prompt: "a lighthouse at dusk"
    size: 1280*720
  - id: f02
    prompt: "animate the face"
    images: [refs/face.png]
  - id: f03
    prompt: "animate it again"
    images: [refs/face.png]
    takes: 2
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class _VideoSources(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs = []

    def handle_starttag(self, tag, attrs):
        if tag == "video":
            self.srcs += [v for k, v in attrs if k in ("src", "data-src")]  # the review page gives a player its src near the screen


class MovedFolders(SimRunTest):
    def setUp(self):
        super().setUp()
        self.project = os.path.join(self.dir, "night")
        os.makedirs(os.path.join(self.project, "refs"))
        shutil.copy(TINY_PNG, os.path.join(self.project, "refs", "face.png"))
        with open(os.path.join(self.project, "night.yaml"), "w") as f:
            f.write(MANIFEST)

    def cmd(self, *args, cwd, key=False):
        env = {"APIXO_API_KEY": KEY} if key else None
        return run(*args, cwd=cwd, env=env)

    def run_night(self, cwd, manifest="night.yaml"):
        """`reelq run` of the manifest with the queue beside it (no --db: where a user keeps it)."""
        port = free_port()
        return self.cmd("run", manifest, "--api-base", self.sim.base, "--time-scale", SCALE, "--listen",
                        f"127.0.0.1:{port}", "--public-url", f"http://127.0.0.1:{port}", cwd=cwd, key=True)

    def finish_the_batch(self):
        self.start_sim()
        r = self.run_night(self.project)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.results = sorted(os.listdir(os.path.join(self.project, "renders", "night")))
        self.assertEqual([n for n in self.results if n.endswith(".mp4")],
                         ["f01-t1.mp4", "f02-t1.mp4", "f03-t1.mp4", "f03-t2.mp4"])
        self.created = self.sim.stats()["tasks_created"]
        self.assertEqual(self.created, 4)
        self.sim_requests_after_the_batch = self.sim.stats()["total_requests"]

    def check_nothing_is_fetched_or_rendered_again(self, cwd, renders, gone):
        """status, download, report and a run of the unchanged manifest in `cwd`; results are in `renders`
        and the folder `gone` (where they were) is never re-created."""
        r = self.cmd("status", cwd=cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("not on disk", r.stdout)
        self.assertRegex(r.stdout, r"(?m)^night +4 +0 +0 +0 +0 +4 +0 +0$")  # every take succeeded
        r = self.cmd("download", cwd=cwd)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "every result is on disk\n", ""))
        self.assertFalse(os.path.exists(gone), f"{gone} was re-created")
        r = self.cmd("report", "-o", "report.html", cwd=cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(cwd, "report.html"), encoding="utf-8") as f:
            page = _VideoSources()
            page.feed(f.read())
        self.assertEqual(len(page.srcs), 4)
        for src in page.srcs:
            path = urllib.parse.unquote(src[len("file://"):] if src.startswith("file://") else src)
            path = os.path.normpath(os.path.join(cwd, path))
            self.assertEqual(os.path.dirname(path), renders, src)
            self.assertTrue(os.path.isfile(path), src)
        for name in self.results:
            self.assertTrue(os.path.isfile(os.path.join(renders, name)), name)
        self.assertFalse(os.path.exists(gone), f"{gone} was re-created")

    def test_a_moved_project_works_as_if_it_had_never_moved(self):
        self.finish_the_batch()
        moved = os.path.join(self.dir, "night-archive")
        os.rename(self.project, moved)
        renders = os.path.join(moved, "renders", "night")
        self.check_nothing_is_fetched_or_rendered_again(moved, renders, self.project)
        # From inside the output folder too: its .reelq-queue names the database where it was.
        r = self.cmd("status", cwd=renders)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("not on disk", r.stdout)
        r = self.run_night(moved)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("changed since it was enqueued", r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], self.created)
        self.assertFalse(os.path.exists(self.project), f"{self.project} was re-created")
        with self.subTest("a resume in the new place"):
            r = self.cmd("resume", "--api-base", self.sim.base, "--time-scale", SCALE, cwd=moved, key=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(self.sim.stats()["tasks_created"], self.created)
            self.assertFalse(os.path.exists(self.project))

    def test_a_moved_project_renders_a_new_job_with_its_image_from_the_new_place(self):
        self.finish_the_batch()
        moved = os.path.join(self.dir, "night-archive")
        os.rename(self.project, moved)
        with open(os.path.join(moved, "night.yaml"), "a") as f:
            f.write("  - id: f04\n    prompt: \"one more\"\n    images: [refs/face.png]\n")
        r = self.run_night(moved)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], self.created + 1)
        fetched = self.sim.stats()["images_fetched"]
        self.assertEqual(fetched[-1]["sha256"], sha256(os.path.join(moved, "refs", "face.png")))
        self.assertTrue(os.path.isfile(os.path.join(moved, "renders", "night", "f04-t1.mp4")))
        self.assertFalse(os.path.exists(self.project))

    def test_a_renamed_output_folder_is_recognised_by_its_claim_and_its_files(self):
        self.finish_the_batch()
        old = os.path.join(self.project, "renders", "night")
        delivered = os.path.join(self.project, "renders", "night-DELIVERED")
        os.rename(old, delivered)
        # Standing inside it, where the moved .reelq-queue leads to the queue.
        self.check_nothing_is_fetched_or_rendered_again(delivered, delivered, old)
        r = self.run_night(self.project)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], self.created)
        self.assertFalse(os.path.exists(old), f"{old} was re-created")

    def test_a_renamed_output_folder_and_another_queue_do_not_render_the_batch_again(self):
        """A trial renamed renders/night, then ran the manifest with a stale REELQ_DB: with no claim left
        in renders/night to stop it, every take was rendered and paid for again."""
        self.finish_the_batch()
        os.rename(os.path.join(self.project, "renders", "night"),
                  os.path.join(self.project, "renders", "night-DELIVERED"))
        other = os.path.join(self.dir, "other.db")
        beside = os.path.join(os.path.realpath(self.project), "reelq.db")
        for how, env in (("--db", {}), ("REELQ_DB", {"REELQ_DB": other})):
            args = ["--db", other] if how == "--db" else []
            port = free_port()
            r = run("run", "night.yaml", *args, "--api-base", self.sim.base, "--time-scale", SCALE, "--listen",
                    f"127.0.0.1:{port}", "--public-url", f"http://127.0.0.1:{port}", cwd=self.project,
                    env=dict(env, APIXO_API_KEY=KEY))
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertEqual(r.stderr, f"reelq: batch night is in the queue beside its manifest, {beside}; the queue "
                                       f"this command was given ({how}: {other}) does not hold it, and running it "
                                       "there would render and pay for every take again. Nothing was sent. Use that "
                                       f"queue (--db {beside}), or give the batch a new name in the manifest to "
                                       "render it afresh\n")
        self.assertEqual(self.sim.stats()["tasks_created"], self.created)
        self.assertEqual(self.sim.stats()["total_requests"], self.sim_requests_after_the_batch)
        self.assertFalse(os.path.exists(os.path.join(self.project, "renders", "night")))

    def test_a_manifest_linked_in_from_another_folder_uses_the_queue_beside_the_file_it_links_to(self):
        """A trial linked p2/m.yaml into p5 after renaming its output folder: the run made p5/reelq.db
        and rendered (and paid for) the whole batch again into p2's folder."""
        self.finish_the_batch()
        os.rename(os.path.join(self.project, "renders", "night"),
                  os.path.join(self.project, "renders", "night-DELIVERED"))
        other = os.path.join(self.dir, "other")
        os.mkdir(other)
        os.symlink(os.path.join(self.project, "night.yaml"), os.path.join(other, "night.yaml"))
        r = self.run_night(other)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], self.created)
        self.assertFalse(os.path.exists(os.path.join(other, "reelq.db")))
        self.assertFalse(os.path.exists(os.path.join(other, "renders")))

    def test_a_queue_path_in_no_folder_is_a_usage_error_that_says_where_it_was_looked_for(self):
        """`export REELQ_DB=jobs/reelq.db` as the README once had it, then a `cd jobs`: exit 70, as if
        the disk had failed."""
        r = run("status", cwd=self.dir, env={"REELQ_DB": "jobs/reelq.db"})
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, f"reelq: the queue database {self.dir}/jobs/reelq.db (REELQ_DB=jobs/reelq.db) is "
                                   f"in no folder: {self.dir}/jobs does not exist (taken from the current folder, "
                                   f"{self.dir}). Give its whole path, e.g. REELQ_DB=/path/to/reelq.db\n")
        self.write("m.yaml", "batch: m\njobs:\n  - id: a\n    prompt: p\n")
        r = run("run", "m.yaml", "--db", "nowhere/q.db", cwd=self.dir, env={"APIXO_API_KEY": KEY})
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("(--db nowhere/q.db) is in no folder", r.stderr)
        os.mkdir(os.path.join(self.dir, "renders"))
        r = run("status", cwd=self.dir, env={"REELQ_DB": "renders"})
        self.assertEqual((r.returncode, r.stderr), (2, f"reelq: the queue database {self.dir}/renders "
                                                       f"(REELQ_DB=renders) is a folder; give the database file's "
                                                       f"path, e.g. {self.dir}/renders/reelq.db\n"))
        r = run("status", cwd=self.dir, env={"REELQ_DB": "m.yaml/q.db"})
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"is in no folder: {self.dir}/m.yaml is a file", r.stderr)

    def test_a_renamed_output_folder_is_found_from_the_project_folder_too(self):
        self.finish_the_batch()
        old = os.path.join(self.project, "renders", "night")
        delivered = os.path.join(self.project, "renders", "night-DELIVERED")
        os.rename(old, delivered)
        self.check_nothing_is_fetched_or_rendered_again(self.project, delivered, old)

    def test_a_file_changed_in_the_renamed_folder_is_not_taken_for_the_result(self):
        self.finish_the_batch()
        old = os.path.join(self.project, "renders", "night")
        delivered = os.path.join(self.project, "renders", "night-DELIVERED")
        os.rename(old, delivered)
        with open(os.path.join(delivered, "f01-t1.mp4"), "wb") as f:
            f.write(b"an edit, not the render")
        r = self.cmd("status", cwd=delivered)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: 1 rendered result is not on disk", r.stdout)
        self.assertIn("  night f01: file missing from the output folder;", r.stdout)

    def test_an_unchanged_manifest_read_through_a_linked_folder_is_unchanged(self):
        self.finish_the_batch()
        link = os.path.join(self.dir, "link-to-night")
        os.symlink(self.project, link)
        # The manifest named through the link: the queue, the manifest and the image are the same files.
        r = self.run_night(self.dir, os.path.join("link-to-night", "night.yaml"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("changed since it was enqueued", r.stderr)
        self.assertEqual(self.sim.stats()["tasks_created"], self.created)
        r = self.cmd("status", cwd=link)
        self.assertNotIn("not on disk", r.stdout)


if __name__ == "__main__":
    main()
