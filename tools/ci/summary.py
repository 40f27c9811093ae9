#!/usr/bin/env python3
"""Count test cases across all test programs from meson's testlog.json.

Catch2 programs report their own case counts ("All tests passed (A assertions in N test cases)" or
"test cases: T | P passed | F failed"); the node cross-checks print "N passed, N failed". A
program whose output has neither (a crash, a build failure) counts as one case with meson's verdict.
Before it, each failed Catch2 assertion on one line (program, test case and section, file:line,
the assertion; at most 30): CI shows the end of the output, where a long program's own report of
the failure may be cut off.
Prints exactly one closing line: "N passed, N failed".
"""
import json
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"
meson_rc = int(sys.argv[2]) if len(sys.argv) > 2 else 0
passed = failed = 0
failures = []


def catch2_failures(name, out):
    """(program, case / section, location, assertion) of every FAILED block of a Catch2 console report."""
    found, header, lines = [], [], out.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("-" * 79) and i + 1 < len(lines):
            j = i + 1
            block = []
            while j < len(lines) and not lines[j].startswith("-" * 79):
                block.append(lines[j].strip())
                j += 1
            if j < len(lines) and block:
                header = block
                i = j + 1
                continue
        m = re.match(r"^(\S+:\d+): FAILED:", line)
        if m:
            what = ""
            for k in range(i + 1, min(i + 4, len(lines))):
                if lines[k].strip():
                    what = lines[k].strip()
                    break
            found.append(f"{name}: {' / '.join(header)} at {m.group(1)}: {what}"[:400])
        i += 1
    return found

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
    if not ok:
        failures += catch2_failures(t.get("name", "?"), out)
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
for f in failures[:30]:
    print(f"FAILED {f}")
if len(failures) > 30:
    print(f"FAILED ... and {len(failures) - 30} more")
if meson_rc != 0 and failed == 0:
    failed = 1  # meson failed (e.g. the build broke) although no case reported a failure
print(f"{passed} passed, {failed} failed")
sys.exit(0)
