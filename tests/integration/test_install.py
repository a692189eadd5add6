"""`make install PREFIX=...` (issue 21 item 6): the binary, the man page and the completions land
under the prefix, and the installed binary runs."""
import os
import subprocess
import tempfile
import unittest

from harness import REELQ, SOURCE, main

BUILD = os.path.dirname(REELQ)


class Install(unittest.TestCase):
    def test_make_install_puts_everything_under_the_prefix(self):
        with tempfile.TemporaryDirectory(prefix="reelq-install-") as prefix:
            r = subprocess.run(["make", "-C", SOURCE, "install", f"PREFIX={prefix}", f"BUILD={BUILD}", "JOBS=2"],
                               capture_output=True, text=True, timeout=1200)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            for path in ["bin/reelq", "share/man/man1/reelq.1", "share/bash-completion/completions/reelq",
                         "share/zsh/site-functions/_reelq", "share/reelq/prices.json", "share/reelq/manifest.schema.json"]:
                self.assertTrue(os.path.isfile(os.path.join(prefix, path)), path)
            v = subprocess.run([os.path.join(prefix, "bin/reelq"), "--version"], capture_output=True, text=True)
            self.assertEqual(v.returncode, 0)
            self.assertRegex(v.stdout, r"^reelq \d+\.\d+\.\d+ \(queue schema \d+\)\n$")
            with open(os.path.join(prefix, "share/man/man1/reelq.1")) as f:
                page = f.read()
            self.assertIn(".TH REELQ 1", page)
            self.assertIn('.SS "reelq deliver', page)
            # The environment it reads: the keys file and every setting, as REELQ_<KEY>.
            for var in ["APIXO_API_KEY", "REELQ_KEYS", "REELQ_MAX_SPEND", "REELQ_RPM", "REELQ_MAX_CONCURRENT"]:
                self.assertIn(var, page)
            # The bash completion, sourced as bash-completion would: commands, then a command's flags.
            script = os.path.join(prefix, "share/bash-completion/completions/reelq")
            # Then a flag's value by its kind: its words, folders, or nothing for a number (not files).
            probe = ('source "$1"; COMP_WORDS=(reelq del); COMP_CWORD=1; _reelq; echo "${COMPREPLY[*]}"; '
                     'COMP_WORDS=(reelq deliver --pi); COMP_CWORD=2; _reelq; echo "${COMPREPLY[*]}"; '
                     'COMP_WORDS=(reelq report --format ""); COMP_CWORD=3; _reelq; echo "${COMPREPLY[*]}"; '
                     'COMP_WORDS=(reelq deliver --to ""); COMP_CWORD=3; _reelq; echo "${COMPREPLY[*]}"; '
                     'COMP_WORDS=(reelq run --rpm ""); COMP_CWORD=3; _reelq; echo "${COMPREPLY[*]}"; '
                     'COMP_WORDS=(reelq run ""); COMP_CWORD=2; _reelq; echo "${COMPREPLY[*]}"; '
                     'COMP_WORDS=(reelq deliver --to cl); COMP_CWORD=3; _reelq; echo "${#COMPREPLY[@]}:${COMPREPLY[0]}"')
            with tempfile.TemporaryDirectory() as here:
                os.mkdir(os.path.join(here, "takes"))
                os.mkdir(os.path.join(here, "client folder"))  # one name, not two words
                open(os.path.join(here, "night.yaml"), "w").close()
                c = subprocess.run(["bash", "-c", probe, "bash", script], capture_output=True, text=True, cwd=here)
            lines = c.stdout.split("\n")
            self.assertEqual(lines[0:3], ["deliver", "--picks", "csv json html"], c.stderr)
            self.assertEqual(sorted(lines[3].split(" ", 1)), ["client folder", "takes"])  # in the folder's order
            self.assertEqual(lines[4], "")
            self.assertEqual(sorted(lines[5].replace("client folder", "client_folder").split()),
                             ["client_folder", "night.yaml", "takes"])
            self.assertEqual(lines[6], "1:client folder")


if __name__ == "__main__":
    main()
