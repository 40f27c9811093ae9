#!/usr/bin/env python3
"""Count test cases across all test programs from meson's testlog.json.

Catch2 programs report their own case counts ("All tests passed (A assertions in N test cases)" or
"test cases: T | P passed | F failed"); the node cross-checks print "N passed, N failed". A
program whose output has neither (a crash, a build failure) counts as one case with meson's verdict.
Prints exactly one closing line: "N passed, N failed".
"""
import json
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"
meson_rc = int(sys.argv[2]) if len(sys.argv) > 2 else 0
passed = failed = 0
try:
    lines = open(path, encoding="utf-8").read().splitlines()
except OSError:
    print("0 passed, 1 failed")
    sys.exit(1)
for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    out = t.get("stdout") or ""
    ok = t.get("result") in ("OK", "EXPECTEDFAIL")
    m_all = re.findall(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", out)
    m_mix = re.findall(r"test cases:\s*(\d+)\s*\|\s*(?:(\d+) passed\s*\|\s*)?(\d+) failed", out)
    m_node = re.findall(r"^(?:\w+: )?(\d+) passed, (\d+) failed(?:, \d+ skipped)?\s*$", out, re.M)
    if m_mix:
        total, p, f = m_mix[-1]
        passed += int(p or 0); failed += int(f)
    elif m_all:
        passed += int(m_all[-1])
    elif m_node:
        p, f = m_node[-1]
        passed += int(p); failed += int(f)
        if not ok and int(f) == 0:
            failed += 1
    else:
        if ok: passed += 1
        else: failed += 1
    if not ok and not (m_mix or m_node):
        # a program that failed after printing "All tests passed" (e.g. a crash at exit)
        if m_all: failed += 1
if meson_rc != 0 and failed == 0:
    failed = 1  # meson failed (e.g. the build broke) although no case reported a failure
print(f"{passed} passed, {failed} failed")
sys.exit(0)
