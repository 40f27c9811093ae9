#!/usr/bin/env python3
"""Layering check: every header under include/zerog includes only the layers that docs/architecture.md allows.

The rules come from the table of the "## Layers" section of docs/architecture.md, so the document and the
check cannot drift apart:

    | folder | layer | depends on | what lives there |
    | `core/` | ... | Boost.System | ... |
    | `codec/` | ... | core, crypto | ... |
    | `testing/` | ... | every layer except devnet | ... |
    | `*.hpp` | top-level headers | every layer except testing, devnet | ... |

The first column is a folder of include/zerog in backticks (`name/`), or `*.hpp` for the top-level headers
include/zerog/*.hpp. The "depends on" cell is a comma-separated list of:
  * zerog layers by folder name (lowercase), and "top-level" for the top-level headers;
  * "every layer" or "every layer except a, b" (all rows of the table but those named);
  * "nothing", "none", "-" or an empty cell;
  * non-zerog libraries, ignored: any name with an uppercase letter, '.', '+' or '/', or starting
    with "lib" (Boost.System, Crypto++, libsecp256k1, Boost.Asio/Beast/JSON);
  * remarks in parentheses, ignored.
Any other lowercase word is an error (a misspelt layer must not silently allow nothing).
A layer may always include itself.

Usage: check_layers.py [--root DIR] [--self-test]
Exit 0 when clean (one summary line), 1 on a violation, an unlisted folder or an unparseable table.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = "top-level"          # the pseudo-layer of include/zerog/*.hpp
TOP_CELL = "*.hpp"         # how the table names it in its first column
TESTING = "testing"
INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]')


class TableError(Exception):
    pass


def parse_table(doc_path):
    """Returns {layer: set(allowed layers)} from the "## Layers" table of docs/architecture.md."""
    try:
        text = open(doc_path, encoding="utf-8").read()
    except OSError as e:
        raise TableError(f"cannot read {doc_path}: {e.strerror}")
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if re.match(r"^##\s+Layers\b", l)), None)
    if start is None:
        raise TableError(f"{doc_path}: no '## Layers' section")
    section = []
    for i in range(start + 1, len(lines)):
        if re.match(r"^#{1,2}\s", lines[i]):
            break
        section.append((i + 1, lines[i]))
    rows = [(n, l) for n, l in section if l.strip().startswith("|")]
    if len(rows) < 3:
        raise TableError(f"{doc_path}: no table in the '## Layers' section")

    def cells(line):
        s = line.strip()
        return [c.strip() for c in s.strip("|").split("|")]

    header = [c.lower() for c in cells(rows[0][1])]
    dep_col = next((i for i, c in enumerate(header) if "depends" in c), None)
    if dep_col is None or not header or "folder" not in header[0]:
        raise TableError(f"{doc_path}:{rows[0][0]}: the Layers table needs a 'folder' first column and a "
                         f"'depends on' column (header: {rows[0][1].strip()})")
    if not re.match(r"^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$", rows[1][1]):
        raise TableError(f"{doc_path}:{rows[1][0]}: expected the table's separator line")

    raw = {}      # layer -> (line number, depends-on cell)
    for n, line in rows[2:]:
        c = cells(line)
        if len(c) <= dep_col:
            raise TableError(f"{doc_path}:{n}: row has {len(c)} cells, the 'depends on' column is #{dep_col + 1}")
        m = re.fullmatch(r"`([a-z0-9_]+)/`", c[0])
        if m:
            layer = m.group(1)
        elif c[0] == f"`{TOP_CELL}`":
            layer = TOP
        else:
            raise TableError(f"{doc_path}:{n}: first cell {c[0]!r} is neither a folder like `core/` nor `{TOP_CELL}`")
        if layer in raw:
            raise TableError(f"{doc_path}:{n}: layer {layer} listed twice")
        raw[layer] = (n, c[dep_col])

    known = set(raw)

    def layer_name(tok, n):
        tok = tok.strip().strip("`").rstrip("/")
        if tok in known:
            return tok
        if tok in (TOP, TOP_CELL):
            return TOP
        raise TableError(f"{doc_path}:{n}: unknown layer {tok!r} in 'depends on' (layers: {', '.join(sorted(known))})")

    rules = {}
    for layer, (n, cell) in raw.items():
        cell = re.sub(r"\([^)]*\)", "", cell)          # remarks
        allowed = set()
        every = re.match(r"^\s*every(?:thing| layer)(?:\s+except\s+(.*))?$", cell.strip())
        if every:
            excluded = {layer_name(t, n) for t in re.split(r",|\band\b", every.group(1) or "") if t.strip()}
            allowed = known - excluded
        else:
            for tok in cell.split(","):
                tok = tok.strip().strip("`").strip()
                if tok.lower() in ("", "nothing", "none", "-", "—", "–"):
                    continue
                if re.search(r"[A-Z.+/]", tok) or tok.startswith("lib"):
                    continue                            # a non-zerog library
                if not re.fullmatch(r"[a-z0-9_*.-]+/?", tok):
                    raise TableError(f"{doc_path}:{n}: cannot read {tok!r} in the 'depends on' cell of {layer}")
                allowed.add(layer_name(tok, n))
        allowed.add(layer)
        rules[layer] = allowed
    return rules


def strip_block_comments(text):
    """Blanks /* ... */ comments, keeping line numbers."""
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def layer_of(rel):
    """rel: path relative to include/zerog -> layer name."""
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else TOP


def check(root):
    """Returns (problems, stats) for the tree at root."""
    inc_root = os.path.join(root, "include")
    zroot = os.path.join(inc_root, "zerog")
    doc = os.path.join(root, "docs", "architecture.md")
    problems = []
    try:
        rules = parse_table(doc)
    except TableError as e:
        return [f"layering table unusable: {e}"], None
    if not os.path.isdir(zroot):
        return [f"{zroot}: no such directory"], None

    for d in sorted(os.listdir(zroot)):
        if os.path.isdir(os.path.join(zroot, d)) and d not in rules:
            problems.append(f"include/zerog/{d}/: folder not listed in the Layers table of docs/architecture.md "
                            f"(add a row `{d}/` with its 'depends on')")
    if TOP not in rules and any(os.path.isfile(os.path.join(zroot, f)) for f in os.listdir(zroot)):
        problems.append(f"include/zerog/*: top-level headers exist but the Layers table has no `{TOP_CELL}` row")

    nfiles = nincludes = 0
    for dirpath, dirnames, filenames in os.walk(zroot):
        dirnames.sort()
        for fn in sorted(filenames):
            path = os.path.join(dirpath, fn)
            rel = os.path.relpath(path, zroot).replace(os.sep, "/")
            src_layer = layer_of(rel)
            shown = f"include/zerog/{rel}"
            try:
                text = open(path, encoding="utf-8", errors="replace").read()
            except OSError as e:
                problems.append(f"{shown}: cannot read: {e.strerror}")
                continue
            nfiles += 1
            for lineno, line in enumerate(strip_block_comments(text).splitlines(), 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                kind, target = m.groups()
                if kind == "<":
                    if not target.startswith("zerog/"):
                        continue
                    trel = target[len("zerog/"):]
                else:
                    # quoted: relative to the including file, else to include/ (like -I include)
                    cand = os.path.normpath(os.path.join(dirpath, target))
                    if not os.path.exists(cand) and os.path.exists(os.path.join(inc_root, target)):
                        cand = os.path.normpath(os.path.join(inc_root, target))
                    if not os.path.exists(cand) and target.startswith("zerog/"):
                        cand = os.path.normpath(os.path.join(inc_root, target))
                    trel = os.path.relpath(cand, zroot).replace(os.sep, "/")
                    if trel.startswith(".."):
                        continue        # outside include/zerog: not a zerog layer
                nincludes += 1
                tgt_layer = layer_of(trel)
                allowed = rules.get(src_layer)
                if allowed is None:
                    continue            # the unlisted folder is reported above
                if tgt_layer not in allowed:
                    allowed_s = ", ".join(sorted(a for a in allowed if a != src_layer)) or "nothing"
                    msg = f"{shown}:{lineno}: {src_layer} may not include {tgt_layer} (allowed: {allowed_s})"
                    if tgt_layer == TESTING:
                        msg += "; testing/ holds mocks for unit tests, no production header may include it"
                    elif tgt_layer not in rules:
                        msg += f"; {tgt_layer} is not in the Layers table"
                    problems.append(msg)
    return problems, (nfiles, nincludes, len(rules))


def run(root):
    problems, stats = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"layering: {len(problems)} problem(s); rules: docs/architecture.md, section 'Layers'")
        return 1
    nfiles, nincludes, nlayers = stats
    print(f"layering: OK, {nfiles} files, {nincludes} zerog includes, {nlayers} layers in docs/architecture.md")
    return 0


def self_test(root):
    """Injects wrong includes into a copy of include/ and docs/architecture.md and asserts they are reported."""
    me = os.path.abspath(__file__)
    failures = []

    def run_copy(tmp):
        r = subprocess.run([sys.executable, me, "--root", tmp], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout

    def expect(cond, what, out):
        if not cond:
            failures.append(what + "\n    output:\n      " + "\n      ".join(out.splitlines()[:20]))

    def inject(tmp, layer, line):
        d = os.path.join(tmp, "include", "zerog", layer)
        hs = sorted(f for f in os.listdir(d) if f.endswith(".hpp")) if os.path.isdir(d) else []
        if not hs:
            raise SystemExit(f"layering self-test: no header in include/zerog/{layer}/ to inject into")
        p = os.path.join(d, hs[0])
        with open(p, encoding="utf-8") as f:
            text = f.read()
        if not text.endswith("\n"):
            text += "\n"
        n = text.count("\n") + 1
        with open(p, "w", encoding="utf-8") as f:
            f.write(text + line + "\n")
        return f"include/zerog/{layer}/{hs[0]}:{n}:"

    def copy_tree(tmp):
        shutil.copytree(os.path.join(root, "include"), os.path.join(tmp, "include"))
        os.makedirs(os.path.join(tmp, "docs"))
        shutil.copy(os.path.join(root, "docs", "architecture.md"), os.path.join(tmp, "docs", "architecture.md"))

    with tempfile.TemporaryDirectory(prefix="zerog-layers-") as tmp:
        copy_tree(tmp)
        a = inject(tmp, "core", "#include <zerog/client/policy_set.hpp>")
        b = inject(tmp, "codec", '#include "../client/policy_set.hpp"')
        c = inject(tmp, "net", "#  include <zerog/testing/mock_transport.hpp>")
        d = inject(tmp, "storage", "/* #include <zerog/client/policy_set.hpp> */")
        os.makedirs(os.path.join(tmp, "include", "zerog", "bogus_layer"))
        rc, out = run_copy(tmp)
        expect(rc == 1, f"exit status 1 expected, got {rc}", out)
        expect(re.search(rf"^{re.escape(a)} core may not include client \(allowed: ", out, re.M),
               f"angle include not reported as '{a} core may not include client (allowed: ...)'", out)
        expect(re.search(rf"^{re.escape(b)} codec may not include client", out, re.M),
               f"quoted include not reported as '{b} codec may not include client'", out)
        expect(re.search(rf"^{re.escape(c)} net may not include testing .*no production header", out, re.M),
               f"testing include not reported as '{c} net may not include testing ... no production header'", out)
        expect(d not in out, f"an include inside a comment was reported ({d})", out)
        expect(re.search(r"^include/zerog/bogus_layer/: folder not listed", out, re.M),
               "unlisted folder include/zerog/bogus_layer/ not reported", out)

    with tempfile.TemporaryDirectory(prefix="zerog-layers-") as tmp:
        copy_tree(tmp)
        doc = os.path.join(tmp, "docs", "architecture.md")
        text = open(doc, encoding="utf-8").read()
        broken = re.sub(r"(\| `codec/` \|[^|]*\|)([^|]*)\|", r"\1 core, cryptoo |", text, count=1)
        if broken == text:
            failures.append("could not find the `codec/` row to break in docs/architecture.md")
        open(doc, "w", encoding="utf-8").write(broken)
        rc, out = run_copy(tmp)
        expect(rc == 1 and "unknown layer 'cryptoo'" in out, "a misspelt layer in the table is not an error", out)
        open(doc, "w", encoding="utf-8").write(re.sub(r"^## Layers.*$", "## Something else", text, flags=re.M))
        rc, out = run_copy(tmp)
        expect(rc == 1 and "no '## Layers' section" in out, "a missing Layers section is not an error", out)

    for f in failures:
        print("layering self-test FAILED: " + f)
    if failures:
        return 1
    print("layering self-test: OK (injected violations reported by path and line; table errors detected)")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    help="repository root (default: the repository containing this script)")
    ap.add_argument("--self-test", action="store_true",
                    help="check that injected violations in a temporary copy are reported")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    return self_test(root) if args.self_test else run(root)


if __name__ == "__main__":
    sys.exit(main())
