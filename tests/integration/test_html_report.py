"""The HTML report in a real browser (Debian's headless Chromium): the demo batch's page loads
with no console errors, every succeeded render plays from its downloaded file, and a screenshot
shows the videos' frames, not black boxes."""
import os
import shutil
import unittest

from chromium import Chromium, read_png
from harness import SOURCE, main, run
from simharness import SimRunTest

WAIT_FOR_VIDEOS = """new Promise(done => {
  const videos = [...document.querySelectorAll("video")];
  const t0 = Date.now();
  const tick = () => {
    const settled = videos.every(v => v.readyState >= 2 || v.error);
    if (settled || Date.now() - t0 > 15000) {
      done(videos.map(v => {
        const r = v.getBoundingClientRect();
        return {src: v.getAttribute("src"), ready: v.readyState, error: v.error && v.error.code,
                width: v.videoWidth, box: [r.left + scrollX, r.top + scrollY, r.width, r.height]};
      }));
    } else {
      setTimeout(tick, 100);
    }
  };
  tick();
})"""

CARDS = """[...document.querySelectorAll("article.card")].map(c => [c.id, c.className])"""


class HtmlReportInChromium(SimRunTest):
    def test_the_demo_batch_report_loads_cleanly_and_shows_its_videos(self):
        self.start_sim("--violation-word", "graffiti")  # as `make demo` does: its 'subway' job fails
        shutil.copy(os.path.join(SOURCE, "jobs", "demo.yaml"), os.path.join(self.dir, "m.yaml"))
        with open(os.path.join(self.dir, "m.yaml"), "a", encoding="utf-8") as f:
            f.write('  - id: refused\n    prompt: "graffiti <b>not bold</b>"\n')
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        os.makedirs(os.path.join(self.dir, "reports"))
        r = self.reelq("report", "-o", "reports/morning.html")
        self.assertEqual(r.returncode, 0, r.stderr)

        browser = Chromium()
        try:
            browser.open("file://" + os.path.join(self.dir, "reports", "morning.html"))
            videos = browser.evaluate(WAIT_FOR_VIDEOS)
            cards = browser.evaluate(CARDS)
            title = browser.evaluate("document.title")
            prompt = browser.evaluate("document.querySelector('#refused-t1 .prompt').textContent")
            bars = browser.evaluate("document.querySelectorAll('.timeline svg rect').length")
            shot = os.path.join(self.dir, "report.png")
            browser.screenshot(shot)
            problems = browser.problems()
        finally:
            browser.close()

        self.assertEqual(problems, [])
        self.assertEqual(title, "reelq report: demo")
        self.assertEqual(len(videos), 7)  # every succeeded render of the demo batch
        for v in videos:
            self.assertTrue(v["src"].startswith("../renders/demo/"), v)
            self.assertIsNone(v["error"], v)
            self.assertGreaterEqual(v["ready"], 2, v)
            self.assertGreater(v["width"], 0, v)
        self.assertEqual(cards[:2], [["subway-t1", "card failed"], ["refused-t1", "card failed"]])  # failures first
        self.assertEqual(len(cards), 9)
        self.assertEqual(prompt, "graffiti <b>not bold</b>")  # shown as text, never as markup
        self.assertEqual(bars, 9)  # one bar per task at the API

        # The screenshot shows frames: each player's area holds the test card's colours, not black.
        width, height, rows = read_png(shot)
        self.assertGreater(height, 1000)
        for v in videos:
            x, y, w, h = (int(n) for n in v["box"])
            self.assertLess(y + h, height, "a video lies below the screenshot")
            sample = [rows[y + h // 3][x + k * w // 12] for k in range(1, 11)]
            colourful = [p for p in sample if max(p) - min(p) > 60]
            self.assertGreaterEqual(len(colourful), 5, (v["src"], sample))


if __name__ == "__main__":
    main()
