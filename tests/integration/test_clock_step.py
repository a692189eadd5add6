"""A backward step of the wall clock during a run (issue 17 item 13), end to end.

NTP stepping the clock back 10 minutes stopped a run for those 10 minutes: its rate window, pacing
and poll times were measured on the wall clock. A small LD_PRELOAD shim, compiled here, moves
CLOCK_REALTIME of `reelq run` alone back by 600 s a moment into the run; the
simulator keeps the true time, as a remote API would."""
import os
import re
import shutil
import subprocess
import time
import unittest

from harness import KEY, REELQ, main
from simharness import SCALE, SimRunTest
from test_run_e2e import mixed_manifest

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

/* After STEP_AFTER_MS of the process's life, the wall clock reads STEP_BY_S seconds earlier. */
static int (*real_clock_gettime)(clockid_t, struct timespec*);
static long long start_ms = -1;

static long long monotonic_ms(void) {
  struct timespec t;
  real_clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long shift_s(void) {
  if (!real_clock_gettime) {
    real_clock_gettime = (int (*)(clockid_t, struct timespec*))dlsym(RTLD_NEXT, "clock_gettime");
  }
  long long now = monotonic_ms();
  if (start_ms < 0) {
    start_ms = now;
  }
  const char* after = getenv("STEP_AFTER_MS");
  const char* by = getenv("STEP_BY_S");
  return now - start_ms >= (after ? atoll(after) : 1000) ? (by ? atoll(by) : 600) : 0;
}

int clock_gettime(clockid_t id, struct timespec* t) {
  long long back = shift_s();
  int r = real_clock_gettime(id, t);
  if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
    t->tv_sec -= back;
  }
  return r;
}
"""


def seconds_of(summary):
    """The duration a summary line ends with ("in 3.4s", "in 1m 05s", "in 850ms", "in 0s")."""
    m = re.search(r" in (?:(\d+)m )?(?:(\d+(?:\.\d+)?)s|(\d+)ms)\n", summary)
    if not m:
        return None
    minutes, secs, ms = m.groups()
    return int(minutes or 0) * 60 + (float(secs) if secs else int(ms) / 1000.0)


class ClockStep(SimRunTest):
    def shim(self):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise unittest.SkipTest("no C compiler for the clock shim")
        src = os.path.join(self.dir, "step.c")
        with open(src, "w") as f:
            f.write(SHIM)
        lib = os.path.join(self.dir, "step.so")
        subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", lib, src, "-ldl"], check=True)
        return lib

    def timed_run(self, preload):
        env = dict(os.environ, APIXO_API_KEY=KEY)
        if preload:
            env.update(LD_PRELOAD=preload, STEP_AFTER_MS="1000", STEP_BY_S="600")
            # Under `make sanitize` ASan wants its runtime first among preloads; the shim only wraps
            # clock_gettime, so the order does not matter to it.
            env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0"]))
        start = time.monotonic()
        # Bounded: before the fix the run sat out the whole 10 minutes after the step.
        cp = subprocess.run([REELQ, "run", "m.yaml", "--db", "q.db", "--api-base", self.sim.base, "--time-scale",
                             SCALE], cwd=self.dir, env=env, capture_output=True, text=True, timeout=90)
        return cp, time.monotonic() - start

    def test_a_run_keeps_sending_when_the_wall_clock_steps_back_10_minutes(self):
        lib = self.shim()
        took = []
        for preload in (None, lib):
            self.start_sim("--seed", "3")
            self.write("m.yaml", mixed_manifest(24))
            try:
                cp, seconds = self.timed_run(preload)
            except subprocess.TimeoutExpired:
                self.fail("the run stalled after the wall clock stepped back (killed after 90 s)")
            self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
            self.assertIn("batch mixed: 27 succeeded, 0 failed in ", cp.stdout)
            self.assertEqual(self.sim.stats()["tasks_created"], 27)
            said = seconds_of(cp.stdout)
            self.assertIsNotNone(said, cp.stdout)
            self.assertGreater(seconds, 1.5)  # the step came mid-run
            # The summary counts the time the run took, not the wall clock's difference ("in 0s").
            self.assertGreater(said, seconds * 0.5)
            took.append(seconds)
            self.sim.close()
            self.sim = None
            for name in ("q.db", "q.db-wal", "q.db-shm"):
                if os.path.exists(os.path.join(self.dir, name)):
                    os.remove(os.path.join(self.dir, name))
            shutil.rmtree(os.path.join(self.dir, "renders"), ignore_errors=True)
        print(f"\n  run without a step {took[0]:.2f} s, with the wall clock stepped back 600 s after 1 s "
              f"{took[1]:.2f} s")
        self.assertLess(took[1], took[0] * 1.5 + 2)


if __name__ == "__main__":
    main()
