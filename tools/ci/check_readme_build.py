#!/usr/bin/env python3
"""Runs the README's "Without Meson" commands as written: the sh block of that section, with
/path/to/zerog replaced by this repository, in a temporary directory (object and program go there),
then runs the program it builds. Fails when the block is missing, a command fails, or the program
fails. Keeps the README's documented build honest."""
import os, re, subprocess, sys, tempfile

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..'))
readme = open(os.path.join(root, 'README.md'), encoding='utf-8').read()
m = re.search(r'### Without Meson\n(.*?)```sh\n(.*?)```', readme, re.S)
if not m:
    sys.exit('README.md: no ```sh block under "### Without Meson"')
script = m.group(2).replace('/path/to/zerog', root)
outputs = re.findall(r'-o (\S+)', script)
with tempfile.TemporaryDirectory(prefix='zerog-readme-') as tmp:
    # Source paths in the block are relative to the repository; outputs go to the temporary dir.
    for o in set(outputs):
        script = re.sub(r'(?<=\s)' + re.escape(o) + r'(?=\s|$)', os.path.join(tmp, o), script)
    extra = ''
    cc = subprocess.run(['g++', '-dumpversion'], capture_output=True, text=True).stdout.strip()
    if cc and int(cc.split('.')[0]) < 14:
        extra = ' -Wno-mismatched-new-delete'  # as the README says for GCC < 14
    script = script.replace('-std=c++20', '-std=c++20' + extra, 1)
    print(script)
    r = subprocess.run(['bash', '-euo', 'pipefail', '-c', script], cwd=root)
    if r.returncode != 0:
        sys.exit('the README commands failed (exit %d)' % r.returncode)
    prog = os.path.join(tmp, outputs[-1])
    r = subprocess.run([prog], cwd=tmp, timeout=120)
    if r.returncode != 0:
        sys.exit('%s exited with %d' % (prog, r.returncode))
print('README "Without Meson" commands: built and ran', outputs[-1])
