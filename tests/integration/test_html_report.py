"""The HTML report in a real browser (Debian's headless Chromium): the demo batch's page loads
with no console errors, every succeeded render plays from its downloaded file, and a screenshot
shows the videos' frames, not black boxes."""
import http.server
import os
import shutil
import threading
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

CARDS = """[...document.querySelectorAll("article.card .take")].map(c => [c.id, c.className])"""


class ImageServer:
    """Serves one small PNG at every path on 127.0.0.1: the reference images of the test batch."""

    def __init__(self, png):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


IMAGE_JOBS = """  - id: portrait-ref
    mode: image-to-video
    prompt: "the reference comes alive"
    resolution: 720p
    images: [{base}/ref.png]
  - id: broken-ref
    mode: image-to-video
    prompt: "a reference the API cannot read"
    resolution: 720p
    images: [{base}/unreachable.png]
"""


class HtmlReportInChromium(SimRunTest):
    def test_the_demo_batch_report_loads_cleanly_and_shows_its_videos(self):
        self.start_sim("--violation-word", "graffiti")  # as `make demo` does: its 'subway' job fails
        with open(os.path.join(SOURCE, "tests", "manifests", "fixtures", "tiny.png"), "rb") as f:
            images = ImageServer(f.read())
        self.addCleanup(images.close)
        shutil.copy(os.path.join(SOURCE, "jobs", "demo.yaml"), os.path.join(self.dir, "m.yaml"))
        with open(os.path.join(self.dir, "m.yaml"), "a", encoding="utf-8") as f:
            f.write('  - id: refused\n    prompt: "graffiti <b>not bold</b>"\n')
            f.write(IMAGE_JOBS.format(base=images.base))
        r = self.reelq_run("m.yaml")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        os.makedirs(os.path.join(self.dir, "reports"))
        r = self.reelq("report", "-o", "reports/morning.html")
        self.assertEqual(r.returncode, 0, r.stderr)

        browser = Chromium()
        try:
            browser.open("file://" + os.path.join(self.dir, "reports", "morning.html"))
            # Videos load as they come near the viewport: make the viewport the whole page.
            browser.set_viewport(1280, 4000)
            videos = browser.evaluate(WAIT_FOR_VIDEOS)
            cards = browser.evaluate(CARDS)
            title = browser.evaluate("document.title")
            prompt = browser.evaluate("document.querySelector('article[data-job=refused] .prompt').textContent")
            bars = browser.evaluate("document.querySelectorAll('.timeline svg rect').length")
            # The pictures load lazily (a page may hold thousands): ask for them now, then look.
            refs = browser.evaluate("Promise.all([...document.querySelectorAll('.ref img')].map(i => "
                                    "{ i.loading = 'eager'; return i.decode().catch(() => null).then(() => "
                                    "[i.closest('article').dataset.job, i.getAttribute('src'), i.naturalWidth]); }))")
            broken_why = browser.evaluate("document.querySelector('#broken-ref-t1 .why').textContent")
            shot = os.path.join(self.dir, "report.png")
            browser.screenshot(shot)
            problems = browser.problems()
        finally:
            browser.close()

        self.assertEqual(problems, [])
        self.assertEqual(title, "reelq report: demo")
        self.assertEqual(len(videos), 8)  # every succeeded render of the batch
        for v in videos:
            self.assertTrue(v["src"].startswith("../renders/demo/"), v)  # given by the page's script
            self.assertIsNone(v["error"], v)
            self.assertGreaterEqual(v["ready"], 2, v)
            self.assertGreater(v["width"], 0, v)
        self.assertEqual([c for c in cards if c[1] == "take failed"][:1], [["subway-t1", "take failed"]])
        self.assertEqual(sorted(c[0] for c in cards[:3]), ["broken-ref-t1", "refused-t1", "subway-t1"])  # failures first
        self.assertEqual(len(cards), 11)  # takes, each in its job's card
        self.assertEqual(prompt, "graffiti <b>not bold</b>")  # shown as text, never as markup
        self.assertEqual(bars, 11)  # one bar per task at the API
        # An image-to-video card shows its reference image; a failed one names the URL the API could not read.
        self.assertEqual(sorted(r[0] for r in refs), ["broken-ref", "portrait-ref"])
        for card_id, src, natural_width in refs:
            self.assertTrue(src.startswith(images.base), src)
            self.assertGreater(natural_width, 0, card_id)
        self.assertIn("INVALID_IMAGE_URL", broken_why)
        self.assertIn(images.base + "/unreachable.png", broken_why)

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
