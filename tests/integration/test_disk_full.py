"""A disk that fills up while results download: a small tmpfs as the output folder (needs root, or
at least the right to mount; skipped with a message where the test cannot make one)."""
import hashlib
import os
import re
import subprocess
import sys

from harness import main
from simharness import SimRunTest

VIDEO_BYTES = 11 * 1024  # the simulator's result is about 11 KB: a full disk must refuse it


def manifest(n):
    lines = ["batch: df", "settings:", "  output_dir: out", "jobs:"]
    for i in range(n):
        lines += [f"  - id: shot{i}", f"    prompt: \"scene {i}\""]
    return "\n".join(lines) + "\n"


class DiskFull(SimRunTest):
    def setUp(self):
        super().setUp()
        self.out = os.path.join(self.dir, "out")
        os.makedirs(self.out)
        self.mounted = False
        if os.geteuid() != 0:
            self.skipTest("disk-full test skipped: mounting a small tmpfs needs root")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", self.out], capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest(f"disk-full test skipped: cannot mount a tmpfs here ({r.stderr.strip()})")
        self.mounted = True

    def tearDown(self):
        if self.mounted:
            r = subprocess.run(["umount", self.out], capture_output=True)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", self.out], capture_output=True)
        super().tearDown()

    def fill(self, leave):
        """Fills the tmpfs up to the brim, then frees `leave` bytes."""
        filler = os.path.join(self.out, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        os.truncate(filler, max(0, os.path.getsize(filler) - leave))
        return filler

    def states(self):
        return dict(self.db().execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())

    def test_a_full_disk_stops_the_run_keeps_the_takes_downloading_and_resume_finishes_them(self):
        self.start_sim("--seed", "5")
        self.write("m.yaml", manifest(4))
        # The folder claim reelq writes into the output folder first needs a page; a result does not fit.
        filler = self.fill(leave=8192)
        r = self.reelq_run("m.yaml")
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 3, out)
        part = re.escape(os.path.realpath(self.out)) + r"/\.shot[0-9]-t1\.mp4\.[0-9]+\.part"
        self.assertRegex(out, r"download stopped, the disk is full: cannot write " + part +
                         r": No space left on device; the take stays downloading")
        self.assertRegex(out, r"stopped: the disk is full \(cannot write " + part + r": No space left on device\); "
                              r"nothing was marked failed and no partial file is kept\. Free some space, then: "
                              r"reelq resume --db \S+ --batch df")
        states = self.states()
        self.assertNotIn("failed", states, states)
        self.assertNotIn("succeeded", states, states)
        self.assertGreaterEqual(states.get("downloading", 0), 1, states)
        self.assertEqual(sorted(n for n in os.listdir(self.out) if n != "filler" and n != ".reelq-queue"), [])
        said = [line for line in out.splitlines() if "disk is full" in line]
        sys.stderr.write("\n  figure: a 256 KB tmpfs with 8 KB free, 4 jobs: exit 3, states " + repr(states) +
                         "\n  said: " + "\n  said: ".join(said) + "\n")
        # Still full: a resume stops the same way, and marks nothing failed.
        r = self.reelq_run(cmd="resume")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("No space left on device", r.stdout + r.stderr)
        self.assertNotIn("failed", self.states())
        os.remove(filler)
        r = self.reelq_run(cmd="resume")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("batch df: 4 succeeded, 0 failed", r.stdout)
        stats = self.sim.stats()
        self.assertEqual(stats["tasks_created"], 4)  # collected, never rendered again
        for path, sha in self.db().execute("SELECT path, sha256 FROM files"):
            with open(os.path.join(self.out, path), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), sha)
        self.assertEqual(sorted(os.listdir(self.out)), [".reelq-queue"] + [f"shot{i}-t1.mp4" for i in range(4)])


if __name__ == "__main__":
    main()
