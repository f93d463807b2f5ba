"""Run a command and report its wall time and exact peak RSS: ``python -S launch.py OUT -- CMD``.

A child's ``ru_maxrss`` counts the memory it had between fork and exec, i.e. a copy of its
parent's: forked from the benchmark (which holds generated data) every child would look as big
as the benchmark. Forked from this small launcher instead, it is the command's own peak.
Standard library only, run without site-packages, so it stays small.
"""

import json
import os
import subprocess
import sys
import time

out, separator, *cmd = sys.argv[1:]
assert separator == "--"
start = time.perf_counter()
child = subprocess.Popen(cmd)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
child.returncode = os.waitstatus_to_exitcode(status)
with open(out, "w") as fh:
    json.dump({"wall": wall, "rss": usage.ru_maxrss * 1024, "code": child.returncode}, fh)
sys.exit(0)
