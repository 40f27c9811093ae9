#!/usr/bin/env python3
"""Observability check: the Prometheus rules, their unit tests and the Grafana dashboard in deploy/.

Checks, one line each:
  * promtool check rules deploy/prometheus/zerog-rules.yml (PromQL syntax, rule structure), and the
    number of rules promtool found equals the number this script read (so nothing below skips one);
  * promtool test rules deploy/prometheus/zerog-rules.test.yml (the alerts' unit tests);
  * promtool check config deploy/prometheus/prometheus.yml (it also loads the rule files), and the
    config lists zerog-rules.yml in rule_files;
  * every alert has `for`, labels.severity warning or critical, annotations summary and description,
    and annotations.runbook_url docs/operations/runbooks.md#<alert name in lowercase>;
  * every metric name in a rule's expr is exported: a name of the `zerog_metrics[]` catalogue in
    include/zerog/observe/metrics.hpp (histograms as name_bucket, name_sum, name_count), `up`, or a
    name recorded by a rule of the same file;
  * every alert has a test that expects it to fire (an alert_rule_test with its alertname and a
    non-empty exp_alerts) and one that expects it quiet (exp_alerts empty or absent), in a test file
    that loads zerog-rules.yml;
  * deploy/grafana/zerog-dashboard.json: schemaVersion >= 36, a datasource variable DS_PROMETHEUS that
    every panel uses, every panel (rows aside) has targets with a non-empty expr, every expr parses
    (promtool check rules on a generated file, Grafana variables replaced) and queries exported
    metrics only (catalogue or `up`; recorded names are not exported by the code); template
    variable queries too.

Metric names are found by tokenising PromQL: strings, label matchers {...}, ranges [...], Grafana
variables, numbers and durations are skipped; an identifier followed by "(" is a function or an
aggregation; the label lists after by/without/on/ignoring/group_left/group_right are skipped; the
keywords (and, or, unless, bool, offset, inf, nan, ...) are not names; every other identifier is a
metric name. A {__name__="..."} matcher counts as a name; a __name__ regex cannot be checked and is
an error.

The YAML files are read with a small parser of the block-style subset these files use (mappings,
sequences, plain and quoted scalars, | and > block scalars, one-line flow collections); anchors,
tags and multi-line plain or quoted scalars are reported as errors naming the line, so a file this
script cannot read fails instead of being half-checked. Python's standard library only.

Usage: check_observability.py [--root DIR] [--self-test] [--promtool PATH]
Exit 0 when everything passes, 1 on any failure (each named on its own line), 2 on a usage error.
--self-test: on temporary copies of deploy/ and the metrics header, injects a PromQL syntax error, a
rule on a metric that is not exported, a dashboard panel on a metric that is not exported, an alert
without a firing test, a changed `for:` that the unit tests must catch, a panel without a query and
one that does not parse, and asserts that each is reported by name; exit 0 only if all are caught and
the clean copy passes.
"""
import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

RULES = "deploy/prometheus/zerog-rules.yml"
TESTS = "deploy/prometheus/zerog-rules.test.yml"
CONFIG = "deploy/prometheus/prometheus.yml"
DASHBOARD = "deploy/grafana/zerog-dashboard.json"
METRICS_HPP = "include/zerog/observe/metrics.hpp"
RUNBOOK = "docs/operations/runbooks.md#"
SEVERITIES = ("warning", "critical")
BUILTIN_METRICS = {"up"}        # Prometheus' own, per scrape target
HIST_SUFFIXES = ("_bucket", "_sum", "_count")
MIN_SCHEMA = 36
PROMTOOL_TIMEOUT = 300


# ----------------------------------------------------------------------------------------- YAML

class YamlError(Exception):
    pass


class _Yaml:
    """Block-style YAML subset -> dicts, lists and strings (every scalar a str; null/~ -> None)."""

    def __init__(self, text, name):
        if "\t" in "".join(l[: len(l) - len(l.lstrip(" \t"))] for l in text.split("\n")):
            raise YamlError(f"{name}: tab in indentation")
        self.lines = text.split("\n")
        self.name = name
        self.i = 0

    def err(self, msg, line=None):
        n = (self.i if line is None else line) + 1
        return YamlError(f"{self.name}:{n}: {msg}")

    @staticmethod
    def indent(line):
        return len(line) - len(line.lstrip(" "))

    def blank(self, line):
        s = line.strip()
        return not s or s.startswith("#") or (line.startswith("---") and s == "---")

    def skip_blank(self):
        while self.i < len(self.lines) and self.blank(self.lines[self.i]):
            self.i += 1
        return self.i < len(self.lines)

    def parse(self):
        if not self.skip_blank():
            return None
        node = self.block(self.indent(self.lines[self.i]))
        if self.skip_blank():
            raise self.err("unexpected content (wrong indentation?)")
        return node

    def block(self, ind):
        content = self.lines[self.i][ind:]
        if content == "-" or content.startswith("- "):
            return self.seq(ind)
        return self.mapping(ind)

    def seq(self, ind):
        items = []
        while self.skip_blank():
            line = self.lines[self.i]
            cur = self.indent(line)
            content = line[cur:]
            if cur < ind or (cur == ind and not (content == "-" or content.startswith("- "))):
                break
            if cur > ind:
                raise self.err("unexpected indentation in a sequence")
            rest = content[1:].lstrip(" ")
            col = ind + len(content) - len(rest)
            if not rest or rest.startswith("#"):
                self.i += 1
                items.append(self.nested(ind))
            elif rest == "-" or rest.startswith("- "):
                self.lines[self.i] = " " * col + rest
                items.append(self.seq(col))
            elif self.key_of(rest) is not None:
                self.lines[self.i] = " " * col + rest
                items.append(self.mapping(col))
            else:
                items.append(self.value(rest, ind))
        return items

    def nested(self, parent):
        """The node on the following lines, more indented than parent (None if there is none)."""
        if not self.skip_blank():
            return None
        cur = self.indent(self.lines[self.i])
        return self.block(cur) if cur > parent else None

    def key_of(self, content):
        """(key, rest after the colon) if content starts a 'key: value' entry, else None."""
        if content[:1] in ("'", '"'):
            s, end = self.quoted(content, 0)
            m = re.match(r"\s*:(?:\s|$)", content[end:])
            return (s, content[end + m.end():]) if m else None
        if content[:1] in "[{&*!|>%@`?" or content.startswith("- "):
            return None
        m = re.match(r"([^#]*?)\s*:(?:\s+|$)", content)
        if not m or not m.group(1):
            return None
        return m.group(1), content[m.end():]

    def mapping(self, ind):
        d = {}
        while self.skip_blank():
            line = self.lines[self.i]
            cur = self.indent(line)
            if cur < ind:
                break
            if cur > ind:
                raise self.err("unexpected indentation in a mapping")
            content = line[ind:]
            if content == "-" or content.startswith("- "):
                break           # a sequence at the key's indentation is that key's value: handled there
            kv = self.key_of(content)
            if kv is None:
                raise self.err(f"expected 'key: value', got {content.strip()[:60]!r}")
            key, rest = kv
            if key in d:
                raise self.err(f"duplicate key {key!r}")
            if not rest.strip() or rest.lstrip().startswith("#"):
                self.i += 1
                if self.skip_blank():
                    nxt = self.lines[self.i]
                    c = self.indent(nxt)
                    if c > ind:
                        d[key] = self.block(c)
                    elif c == ind and (nxt[c:] == "-" or nxt[c:].startswith("- ")):
                        d[key] = self.seq(ind)
                    else:
                        d[key] = None
                else:
                    d[key] = None
            else:
                d[key] = self.value(rest.strip(), ind)
        return d

    def value(self, text, ind):
        """An inline value on line self.i (block scalars read the following lines); advances."""
        if text[0] in "&*!":
            raise self.err("anchors, aliases and tags are not supported")
        if text[0] in "|>":
            return self.block_scalar(text, ind)
        if text[0] in "[{":
            v, end = self.flow(text, 0)
            self.trailing(text[end:])
            self.i += 1
            return v
        if text[0] in "'\"":
            s, end = self.quoted(text, 0)
            self.trailing(text[end:])
            self.i += 1
            return s
        m = re.search(r"\s#", text)
        s = (text[: m.start()] if m else text).rstrip()
        self.i += 1
        if self.i < len(self.lines) and not self.blank(self.lines[self.i]) and self.indent(self.lines[self.i]) > ind:
            nxt = self.lines[self.i].strip()
            if not (nxt.startswith("- ") or self.key_of(nxt) is not None):
                raise self.err("multi-line plain scalars are not supported (use a | or > block scalar)")
        return self.plain(s)

    @staticmethod
    def plain(s):
        return None if s in ("", "~", "null", "Null", "NULL") else s

    def trailing(self, rest):
        r = rest.strip()
        if r and not r.startswith("#"):
            raise self.err(f"unexpected text after a value: {r[:40]!r}")

    def quoted(self, text, pos):
        q = text[pos]
        out = []
        i = pos + 1
        while i < len(text):
            c = text[i]
            if q == "'" and c == "'":
                if text[i + 1:i + 2] == "'":
                    out.append("'")
                    i += 2
                    continue
                return "".join(out), i + 1
            if q == '"' and c == "\\":
                e = text[i + 1:i + 2]
                simple = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "/": "/", "0": "\0", " ": " ", "r": "\r"}
                if e in simple:
                    out.append(simple[e])
                    i += 2
                    continue
                m = re.match(r"(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})", text[i + 1:])
                if not m:
                    raise self.err(f"unsupported escape \\{e} in a double-quoted string")
                out.append(chr(int(m.group(1)[1:], 16)))
                i += 1 + len(m.group(1))
                continue
            if q == '"' and c == '"':
                return "".join(out), i + 1
            out.append(c)
            i += 1
        raise self.err("quoted scalar not closed on its line (multi-line quoted scalars are not supported)")

    def flow(self, text, pos):
        """A one-line flow sequence or mapping starting at text[pos]; returns (value, end)."""
        close = "]" if text[pos] == "[" else "}"
        is_map = close == "}"
        out = {} if is_map else []
        i = pos + 1

        def ws(j):
            while j < len(text) and text[j] == " ":
                j += 1
            return j

        def item(j):
            j = ws(j)
            if j >= len(text):
                raise self.err("flow collection not closed on its line")
            if text[j] in "[{":
                return self.flow(text, j)
            if text[j] in "'\"":
                return self.quoted(text, j)
            m = re.match(r"[^,\]\}]*", text[j:])
            raw = m.group(0)
            if is_map and ":" in raw:
                raw = raw[: raw.index(":")] if re.search(r":(\s|$)", raw) else raw
            return self.plain(raw.strip()), j + len(raw)

        i = ws(i)
        if text[i:i + 1] == close:
            return out, i + 1
        while True:
            v, i = item(i)
            if is_map:
                i = ws(i)
                if text[i:i + 1] != ":":
                    raise self.err("expected ':' in a flow mapping")
                val, i = item(i + 1)
                out[v] = val
            else:
                out.append(v)
            i = ws(i)
            if text[i:i + 1] == ",":
                i += 1
                continue
            if text[i:i + 1] == close:
                return out, i + 1
            raise self.err("flow collection not closed on its line")

    def block_scalar(self, header, ind):
        m = re.fullmatch(r"([|>])([-+]?)([1-9]?)([-+]?)\s*(#.*)?", header)
        if not m:
            raise self.err(f"cannot read block scalar header {header!r}")
        style, chomp = m.group(1), m.group(2) or m.group(4)
        self.i += 1
        body = []
        block_ind = None
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() == "":
                body.append("")
                self.i += 1
                continue
            cur = self.indent(line)
            if block_ind is None:
                if cur <= ind:
                    break
                block_ind = int(m.group(3)) + ind if m.group(3) else cur
            if cur < block_ind:
                break
            body.append(line[block_ind:])
            self.i += 1
        # trailing blank lines belong to no content: only "keep" chomping (+) adds them back
        trail = 0
        while body and body[-1] == "":
            body.pop()
            trail += 1
        if style == "|":
            text = "\n".join(body)
        else:
            # folding: a break between two lines of text is a space, n empty lines are n breaks,
            # more-indented lines keep their breaks
            text, prev, empties = "", None, 0
            for l in body:
                if l == "":
                    empties += 1
                    continue
                kind = "more" if l.startswith(" ") else "text"
                if prev is not None:
                    both = prev == "text" and kind == "text"
                    text += ("\n" * empties if empties else " ") if both else "\n" * (empties + 1)
                text += l
                prev, empties = kind, 0
        if not body:
            return ""
        if chomp == "-":
            return text
        if chomp == "+":
            return text + "\n" * (1 + trail)
        return text + "\n"


def load_yaml(path, shown):
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        raise YamlError(f"{shown}: cannot read: {e.strerror}")
    return _Yaml(text, shown).parse()


# ----------------------------------------------------------------------------------------- PromQL

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
            "group_right", "inf", "nan", "atan2"}
AGGREGATORS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
               "quantile", "limitk", "limit_ratio"}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
NUMBER_RE = re.compile(r"0[xX][0-9a-fA-F]+|(?:[0-9]+(?:ms|[smhdwy]))+|(?:[0-9]*\.)?[0-9]+(?:[eE][-+]?[0-9]+)?")
IDENT_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
NAME_MATCHER_RE = re.compile(r"""__name__\s*(=~|!~|!=|=)\s*(["'`])((?:\\.|(?!\2).)*)\2""")


def skip_string(s, i):
    q = s[i]
    i += 1
    while i < len(s):
        if s[i] == "\\" and q != "`":
            i += 2
            continue
        if s[i] == q:
            return i + 1
        i += 1
    return i


def skip_to(s, i, close):
    """Index after the `close` that ends the group opened at s[i] (strings skipped)."""
    i += 1
    while i < len(s):
        c = s[i]
        if c in "\"'`":
            i = skip_string(s, i)
            continue
        if c == close:
            return i + 1
        i += 1
    return i


def metric_names(expr):
    """Returns (names, problems): the metric names an expression selects, in order of appearance."""
    names, problems = [], []
    s = expr
    i = 0
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
        elif c == "#":
            j = s.find("\n", i)
            i = len(s) if j < 0 else j
        elif c in "\"'`":
            i = skip_string(s, i)
        elif c == "{":
            j = skip_to(s, i, "}")
            for m in NAME_MATCHER_RE.finditer(s[i:j]):
                if m.group(1) == "=":
                    names.append(m.group(3))
                else:
                    problems.append(f"__name__{m.group(1)}{m.group(2)}{m.group(3)}{m.group(2)}: a metric chosen "
                                    "by a regex or negation cannot be checked against the catalogue")
            i = j
        elif c == "[":
            i = skip_to(s, i, "]")
        elif c == "$":
            m = re.match(r"\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)", s[i:])
            i += m.end() if m else 1
        elif c.isdigit() or (c == "." and s[i + 1:i + 2].isdigit()):
            m = NUMBER_RE.match(s, i)
            i = m.end() if m and m.end() > i else i + 1
        elif IDENT_RE.match(s, i):
            m = IDENT_RE.match(s, i)
            word = m.group(0)
            i = m.end()
            j = i
            while j < len(s) and s[j].isspace():
                j += 1
            nxt = s[j:j + 1]
            low = word.lower()
            if low in KEYWORDS:
                if low in LABEL_LIST_KEYWORDS and nxt == "(":
                    i = skip_to(s, j, ")")
                continue
            if nxt == "(" or low in AGGREGATORS:
                continue        # function or aggregation (an aggregation may have `by (...)` before its "(")
            names.append(word)
        else:
            i += 1
    return names, problems


# ----------------------------------------------------------------------------------------- catalogue

def exported_metrics(root):
    """{name: type} from the zerog_metrics[] initialiser of include/zerog/observe/metrics.hpp."""
    path = os.path.join(root, METRICS_HPP)
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        raise ValueError(f"{METRICS_HPP}: cannot read: {e.strerror}")
    m = re.search(r"\bzerog_metrics\s*\[\s*\]\s*=\s*\{", text)
    if not m:
        raise ValueError(f"{METRICS_HPP}: no `zerog_metrics[] = {{` initialiser")
    end = text.find("\n};", m.end())
    if end < 0:
        raise ValueError(f"{METRICS_HPP}: the zerog_metrics[] initialiser does not end with a line '}};'")
    body = re.sub(r"//[^\n]*", "", text[m.end():end])
    found = {}
    for e in re.finditer(r'\{\s*"(zerog_[a-z0-9_]+)"\s*,\s*metric_type::(counter|gauge|histogram)\b', body):
        found[e.group(1)] = e.group(2)
    if not found:
        raise ValueError(f"{METRICS_HPP}: no {{\"zerog_…\", metric_type::…}} entry in zerog_metrics[]")
    return found


def series_names(catalogue):
    """The names a scrape shows: counters and gauges as is, histograms with their three suffixes."""
    out = set(BUILTIN_METRICS)
    for name, kind in catalogue.items():
        if kind == "histogram":
            out.update(name + s for s in HIST_SUFFIXES)
        else:
            out.add(name)
    return out


def judge_names(names, catalogue, allowed, where):
    """Problems for the metric names of one expression."""
    problems = []
    for n in dict.fromkeys(names):
        if n in allowed:
            continue
        if catalogue.get(n) == "histogram":
            problems.append(f"{where}: {n} is a histogram: query {n}_bucket, {n}_sum or {n}_count")
            continue
        hint = difflib.get_close_matches(n, sorted(allowed), n=1, cutoff=0.8)
        problems.append(f"{where}: metric {n} is not exported (not in zerog_metrics[] of {METRICS_HPP}, "
                        f"not `up`{', not recorded by a rule' if where.startswith('rule') else ''})"
                        + (f"; did you mean {hint[0]}?" if hint else ""))
    return problems


# ----------------------------------------------------------------------------------------- promtool

def run_promtool(promtool, args, cwd):
    try:
        r = subprocess.run([promtool] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, stdin=subprocess.DEVNULL, timeout=PROMTOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        return 124, f"promtool {' '.join(args)}: timed out after {PROMTOOL_TIMEOUT} s"
    return r.returncode, r.stdout


def indent_output(out, limit=60):
    """promtool's output, indented, blank lines dropped, a run of one repeated line shown once."""
    runs = []       # [line, count]
    for l in out.rstrip().splitlines():
        if not l.strip():
            continue
        if runs and runs[-1][0] == l:
            runs[-1][1] += 1
        else:
            runs.append([l, 1])
    lines = [l + (f"   [{n} times]" if n > 1 else "") for l, n in runs]
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more lines)"]
    return "\n".join("    " + l for l in lines)


# ----------------------------------------------------------------------------------------- checks

class Report:
    def __init__(self):
        self.failed = []

    def ok(self, what, detail=""):
        print(f"observability: {what}: OK" + (f" ({detail})" if detail else ""))

    def fail(self, what, problems):
        self.failed.append(what)
        print(f"observability: {what}: FAILED")
        for p in problems:
            print("  " + p.replace("\n", "\n  "))


def rules_of(doc, shown):
    """[(group, rule dict)] from a parsed rule file; raises ValueError on a shape it cannot read."""
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list):
        raise ValueError(f"{shown}: no 'groups:' list")
    out = []
    for g in doc["groups"]:
        if not isinstance(g, dict) or not isinstance(g.get("rules"), list):
            raise ValueError(f"{shown}: a group without a 'rules:' list")
        for r in g["rules"]:
            if not isinstance(r, dict):
                raise ValueError(f"{shown}: group {g.get('name')}: a rule is not a mapping")
            out.append((g.get("name"), r))
    return out


def dashboard_panels(panels, out):
    for p in panels or []:
        if not isinstance(p, dict):
            continue
        out.append(p)
        if p.get("type") == "row":
            dashboard_panels(p.get("panels"), out)
    return out


def grafana_to_promql(expr):
    """Grafana's variables replaced by values promtool accepts (durations for intervals and ranges)."""
    def sub(m):
        name = (m.group(1) or m.group(2) or m.group(3) or "").split(":")[0]
        if name in ("__rate_interval", "__interval", "__range", "__auto_interval"):
            return "5m"
        if name.endswith(("_ms", "_s")) and name.startswith("__"):
            return "300"
        return ".*"
    return re.sub(r"\$\{([^}]*)\}|\[\[([A-Za-z0-9_:]+)\]\]|\$([A-Za-z_][A-Za-z0-9_]*)", sub, expr)


def check(root, promtool):
    rep = Report()
    prom_dir = os.path.join(root, "deploy", "prometheus")
    rules_path = os.path.join(root, RULES)
    tests_path = os.path.join(root, TESTS)
    config_path = os.path.join(root, CONFIG)
    dash_path = os.path.join(root, DASHBOARD)

    # -- promtool
    have_promtool = bool(promtool and (os.path.isfile(promtool) or shutil.which(promtool)))
    if not have_promtool:
        rep.fail("promtool", [f"promtool not found ({promtool or 'not on PATH'}): install Debian's package "
                              "'prometheus' (tools/install-deps.sh does) or pass --promtool PATH"])
    promtool_count = None
    if have_promtool:
        rc, out = run_promtool(promtool, ["check", "rules", os.path.basename(RULES)], prom_dir)
        if rc != 0:
            rep.fail(f"promtool check rules {RULES}", [indent_output(out)])
        else:
            m = re.search(r"SUCCESS:\s+(\d+)\s+rules found", out)
            promtool_count = int(m.group(1)) if m else None
            rep.ok(f"promtool check rules {RULES}", f"{promtool_count} rules" if m else "")
        rc, out = run_promtool(promtool, ["test", "rules", os.path.basename(TESTS)], prom_dir)
        if rc != 0:
            rep.fail(f"promtool test rules {TESTS}", [indent_output(out)])
        else:
            rep.ok(f"promtool test rules {TESTS}")
        rc, out = run_promtool(promtool, ["check", "config", os.path.basename(CONFIG)], prom_dir)
        if rc != 0:
            rep.fail(f"promtool check config {CONFIG}", [indent_output(out)])
        else:
            try:
                cfg = load_yaml(config_path, CONFIG) or {}
                rf = cfg.get("rule_files") or []
                if not any(isinstance(f, str) and os.path.basename(f) == os.path.basename(RULES) for f in rf):
                    rep.fail(f"promtool check config {CONFIG}", [f"{CONFIG}: rule_files does not list "
                                                                 f"{os.path.basename(RULES)}"])
                else:
                    rep.ok(f"promtool check config {CONFIG}", f"rule_files: {', '.join(rf)}")
            except YamlError as e:
                rep.fail(f"promtool check config {CONFIG}", [str(e)])

    # -- catalogue
    try:
        catalogue = exported_metrics(root)
    except ValueError as e:
        rep.fail("metric catalogue", [str(e)])
        catalogue = None
    if catalogue is not None:
        nh = sum(1 for t in catalogue.values() if t == "histogram")
        rep.ok(f"metric catalogue {METRICS_HPP}", f"{len(catalogue)} metrics, {nh} histograms")
        exported = series_names(catalogue)

    # -- rules
    rules = None
    try:
        rules = rules_of(load_yaml(rules_path, RULES), RULES)
    except (YamlError, ValueError) as e:
        rep.fail(f"rules {RULES}", [str(e)])
    alerts = []
    if rules is not None:
        if promtool_count is not None and promtool_count != len(rules):
            rep.fail(f"rules {RULES}", [f"this script read {len(rules)} rules, promtool found {promtool_count}: "
                                        "the YAML reader missed some (fix the script or simplify the file)"])
        recorded = {r["record"] for _, r in rules if isinstance(r.get("record"), str)}
        alerts = [r for _, r in rules if isinstance(r.get("alert"), str)]
        shape = []
        for r in alerts:
            a = r["alert"]
            labels = r.get("labels") if isinstance(r.get("labels"), dict) else {}
            ann = r.get("annotations") if isinstance(r.get("annotations"), dict) else {}
            if not isinstance(r.get("for"), str) or not re.fullmatch(r"(?:[0-9]+(?:ms|[smhdwy]))+", r["for"]):
                shape.append(f"alert {a}: no `for:` duration")
            if labels.get("severity") not in SEVERITIES:
                shape.append(f"alert {a}: labels.severity is {labels.get('severity')!r}, expected one of {', '.join(SEVERITIES)}")
            for k in ("summary", "description"):
                if not isinstance(ann.get(k), str) or not ann[k].strip():
                    shape.append(f"alert {a}: no annotations.{k}")
            want = RUNBOOK + a.lower()
            if ann.get("runbook_url") != want:
                shape.append(f"alert {a}: annotations.runbook_url is {ann.get('runbook_url')!r}, expected {want!r}")
        if shape:
            rep.fail(f"alert fields {RULES}", shape)
        else:
            rep.ok(f"alert fields {RULES}", f"{len(alerts)} alerts with for, severity, summary, description, runbook_url")

        if catalogue is not None:
            problems = []
            used = set()
            for _, r in rules:
                who = f"rule {r.get('alert') or r.get('record')}"
                expr = r.get("expr")
                if not isinstance(expr, str) or not expr.strip():
                    problems.append(f"{who}: no expr")
                    continue
                names, p = metric_names(expr)
                problems += [f"{who}: {x}" for x in p]
                problems += judge_names(names, catalogue, exported | recorded, who)
                used.update(names)
            if problems:
                rep.fail(f"rule metrics {RULES}", problems)
            else:
                raw = sorted(n for n in used if n not in recorded)
                rep.ok(f"rule metrics {RULES}", f"{len(raw)} exported names, {len(recorded)} recorded")

    # -- tests per alert
    if rules is not None:
        try:
            tdoc = load_yaml(tests_path, TESTS)
            if not isinstance(tdoc, dict) or not isinstance(tdoc.get("tests"), list):
                raise ValueError(f"{TESTS}: no 'tests:' list")
            problems = []
            rf = tdoc.get("rule_files") or []
            if not any(isinstance(f, str) and os.path.basename(f) == os.path.basename(RULES) for f in rf):
                problems.append(f"{TESTS}: rule_files does not list {os.path.basename(RULES)}")
            firing, quiet = {}, {}
            for t in tdoc["tests"]:
                for c in (t or {}).get("alert_rule_test") or []:
                    if not isinstance(c, dict) or not isinstance(c.get("alertname"), str):
                        continue
                    exp = c.get("exp_alerts")
                    bucket = firing if isinstance(exp, list) and exp else quiet
                    bucket[c["alertname"]] = bucket.get(c["alertname"], 0) + 1
            names = list(dict.fromkeys(r["alert"] for r in alerts))
            for a in names:
                if a not in firing:
                    problems.append(f"alert {a}: no test expects it to fire (an alert_rule_test with alertname: {a} "
                                    f"and a non-empty exp_alerts in {TESTS})")
                if a not in quiet:
                    problems.append(f"alert {a}: no test expects it quiet (an alert_rule_test with alertname: {a} "
                                    f"and exp_alerts empty or absent in {TESTS})")
            for a in sorted(set(firing) | set(quiet)):
                if a not in names:
                    problems.append(f"{TESTS}: tests alert {a}, which {RULES} does not define")
            if problems:
                rep.fail(f"alert tests {TESTS}", problems)
            else:
                rep.ok(f"alert tests {TESTS}", f"{len(names)} alerts, each with a firing and a quiet case; "
                                               f"{sum(firing.values())} firing, {sum(quiet.values())} quiet cases")
        except (YamlError, ValueError) as e:
            rep.fail(f"alert tests {TESTS}", [str(e)])

    # -- dashboard
    try:
        dash = json.load(open(dash_path, encoding="utf-8"))
    except OSError as e:
        rep.fail(f"dashboard {DASHBOARD}", [f"cannot read: {e.strerror}"])
        dash = None
    except ValueError as e:
        rep.fail(f"dashboard {DASHBOARD}", [f"not JSON: {e}"])
        dash = None
    if isinstance(dash, dict):
        problems = []
        if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < MIN_SCHEMA:
            problems.append(f"schemaVersion is {dash.get('schemaVersion')!r}, expected >= {MIN_SCHEMA}")
        tvars = (dash.get("templating") or {}).get("list") or []
        if not any(v.get("name") == "DS_PROMETHEUS" and v.get("type") == "datasource" and v.get("query") == "prometheus"
                   for v in tvars if isinstance(v, dict)):
            problems.append("templating: no datasource variable DS_PROMETHEUS of type prometheus")
        exprs = []          # (where, expr)
        panels = dashboard_panels(dash.get("panels"), [])
        n_panels = n_targets = 0
        ids = {}
        for p in panels:
            title = p.get("title") or f"id {p.get('id')}"
            where = f"panel {title!r}"
            if p.get("id") in ids:
                problems.append(f"{where}: id {p.get('id')} also used by panel {ids[p.get('id')]!r}")
            ids[p.get("id")] = title
            if p.get("type") == "row":
                continue
            n_panels += 1
            ds = p.get("datasource")
            if not (isinstance(ds, dict) and ds.get("uid") == "${DS_PROMETHEUS}"):
                problems.append(f"{where}: datasource is {ds!r}, expected the variable ${{DS_PROMETHEUS}}")
            targets = p.get("targets")
            if not isinstance(targets, list) or not targets:
                problems.append(f"{where}: no targets (a panel must query something)")
                continue
            for t in targets:
                ref = t.get("refId", "?") if isinstance(t, dict) else "?"
                expr = t.get("expr") if isinstance(t, dict) else None
                if not isinstance(expr, str) or not expr.strip():
                    problems.append(f"{where} target {ref}: empty expr")
                    continue
                n_targets += 1
                exprs.append((f"{where} target {ref}", expr))
        for v in tvars:
            if not isinstance(v, dict) or v.get("type") != "query":
                continue
            qy = v.get("query")
            qy = qy.get("query") if isinstance(qy, dict) else qy
            if not isinstance(qy, str):
                continue
            m = re.fullmatch(r"\s*label_values\(\s*(.*?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*", qy, re.S)
            if m:
                exprs.append((f"variable ${v.get('name')}", m.group(1)))
            elif re.fullmatch(r"\s*query_result\((.*)\)\s*", qy, re.S):
                exprs.append((f"variable ${v.get('name')}", re.fullmatch(r"\s*query_result\((.*)\)\s*", qy, re.S).group(1)))
        if catalogue is not None:
            for where, expr in exprs:
                names, p = metric_names(expr)
                problems += [f"{where}: {x}" for x in p]
                problems += judge_names(names, catalogue, exported, where)
        if have_promtool and exprs:
            problems += dashboard_syntax(promtool, exprs)
        if problems:
            rep.fail(f"dashboard {DASHBOARD}", problems)
        else:
            rep.ok(f"dashboard {DASHBOARD}", f"schemaVersion {dash.get('schemaVersion')}, {n_panels} panels, "
                                            f"{n_targets} targets, every expr parses and queries exported metrics")
    elif dash is not None:
        rep.fail(f"dashboard {DASHBOARD}", ["not a JSON object"])

    if rep.failed:
        print(f"observability: FAILED ({len(rep.failed)} check(s): {'; '.join(rep.failed)})")
        return 1
    print("observability: OK")
    return 0


def dashboard_syntax(promtool, exprs):
    """promtool check rules on a file recording every dashboard expr: their PromQL syntax."""
    with tempfile.TemporaryDirectory(prefix="zerog-dash-") as tmp:
        lines = ["groups:", "  - name: dashboard", "    rules:"]
        for k, (_, expr) in enumerate(exprs):
            lines += [f"      - record: dashboard_expr_{k}", "        expr: " + json.dumps(grafana_to_promql(expr))]
        path = os.path.join(tmp, "dashboard.rules.yml")
        open(path, "w", encoding="utf-8").write("\n".join(lines) + "\n")
        rc, out = run_promtool(promtool, ["check", "rules", path], tmp)
        if rc == 0:
            return []
        problems = []
        for m in re.finditer(r"group \"dashboard\", rule (\d+), \"dashboard_expr_\d+\": (.*)", out):
            k = int(m.group(1)) - 1
            where = exprs[k][0] if 0 <= k < len(exprs) else f"expr #{k}"
            problems.append(f"{where}: PromQL does not parse: {m.group(2).strip()}")
        return problems or ["dashboard exprs: promtool check rules failed:\n" + indent_output(out)]


# ----------------------------------------------------------------------------------------- self-test

def self_test(root, promtool):
    me = os.path.abspath(__file__)
    failures = []
    done = []

    def copy(tmp):
        shutil.copytree(os.path.join(root, "deploy"), os.path.join(tmp, "deploy"))
        os.makedirs(os.path.join(tmp, os.path.dirname(METRICS_HPP)))
        shutil.copy(os.path.join(root, METRICS_HPP), os.path.join(tmp, METRICS_HPP))

    def run_copy(tmp):
        cmd = [sys.executable, me, "--root", tmp] + (["--promtool", promtool] if promtool else [])
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout

    def expect(what, cond, out):
        if cond:
            done.append(what)
        else:
            failures.append(what + "\n    output:\n      " + "\n      ".join(out.splitlines()[:40]))

    def edit(tmp, rel, fn):
        p = os.path.join(tmp, rel)
        text = open(p, encoding="utf-8").read()
        new = fn(text)
        if new == text:
            raise SystemExit(f"observability self-test: could not inject into {rel} (its layout changed?)")
        open(p, "w", encoding="utf-8").write(new)

    def first_alert_expr(text):
        """(start, end) of the first alert's expr text (inline or the first line of its block)."""
        m = re.search(r"^(\s*)-\s+alert:\s*\S+.*?^\s+expr:[ \t]*([^\n]*)$", text, re.S | re.M)
        if not m:
            raise SystemExit(f"observability self-test: no alert with an expr in {RULES}")
        if m.group(2).strip() in ("|", "|-", ">", ">-", "|+", ">+"):
            n = re.compile(r"^[ \t]*(\S.*)$", re.M).search(text, m.end())
            return n.start(1), n.end(1)
        v = m.group(2)
        s = m.start(2) + (1 if v[:1] in "'\"" else 0)
        return s, m.end(2) - (1 if v[-1:] in "'\"" else 0)

    def append_alert(text, name, expr):
        ms = list(re.finditer(r"^(\s*)-\s+(?:alert|record):", text, re.M))
        if not ms:
            raise SystemExit(f"observability self-test: no rule in {RULES}")
        ind = ms[-1].group(1)
        body = (f"\n{ind}- alert: {name}\n{ind}  expr: {expr}\n{ind}  for: 5m\n{ind}  labels:\n"
                f"{ind}    severity: warning\n{ind}  annotations:\n{ind}    summary: self-test\n"
                f"{ind}    description: self-test\n{ind}    runbook_url: {RUNBOOK}{name.lower()}\n")
        return text.rstrip("\n") + "\n" + body

    def case(label, inject, checks):
        with tempfile.TemporaryDirectory(prefix="zerog-observability-") as tmp:
            copy(tmp)
            info = inject(tmp)
            rc, out = run_copy(tmp)
            expect(f"{label}: exit status 1", rc == 1, out)
            for what, pattern in checks(info):
                expect(f"{label}: {what}", re.search(pattern, out, re.M) is not None, out)

    # 0: the clean copy passes (else every case below proves nothing)
    with tempfile.TemporaryDirectory(prefix="zerog-observability-") as tmp:
        copy(tmp)
        rc, out = run_copy(tmp)
        expect("clean copy: passes", rc == 0 and re.search(r"^observability: OK$", out, re.M) is not None, out)

    # (a) a PromQL syntax error in an existing alert
    def inject_a(tmp):
        def f(text):
            s, _ = first_alert_expr(text)
            return text[:s] + "(" + text[s:]
        edit(tmp, RULES, f)
    case("(a) PromQL syntax error in a rule", inject_a, lambda _: [
        ("promtool check rules reports it", rf"^observability: promtool check rules {re.escape(RULES)}: FAILED"),
        ("promtool's parse error is shown", r"(?i)unclosed left parenthesis|parse error"),
    ])

    # (b) a rule on a metric that is not exported: rename the first zerog_* name of the first alert
    def inject_b(tmp):
        state = {}

        def f(text):
            s, _ = first_alert_expr(text)
            m = re.compile(r"zerog_[a-z0-9_]+").search(text, s)
            state["old"] = m.group(0)
            return text[:m.start()] + "zerog_selftest_not_exported_total" + text[m.end():]
        edit(tmp, RULES, f)
        return state
    case("(b) rule using a metric that is not exported", inject_b, lambda st: [
        ("named as not exported", r"^\s+rule \S+: metric zerog_selftest_not_exported_total is not exported"),
    ])

    # (c) a dashboard panel querying a metric that is not exported
    def inject_c(tmp):
        p = os.path.join(tmp, DASHBOARD)
        d = json.load(open(p, encoding="utf-8"))
        panel = next(x for x in dashboard_panels(d["panels"], []) if x.get("type") != "row" and x.get("targets"))
        panel["targets"][0]["expr"] = 'sum(rate(zerog_selftest_missing_total{job=~"$job"}[$__rate_interval]))'
        json.dump(d, open(p, "w", encoding="utf-8"), indent=2)
        return panel.get("title")
    case("(c) dashboard panel querying a metric that is not exported", inject_c, lambda title: [
        ("named with its panel", rf"^\s+panel {re.escape(repr(title))} target A: metric zerog_selftest_missing_total is not exported"),
        ("dashboard check fails", rf"^observability: dashboard {re.escape(DASHBOARD)}: FAILED"),
    ])

    # (d) an alert without a firing test
    def inject_d(tmp):
        edit(tmp, RULES, lambda t: append_alert(t, "ZerogSelfTestUntested", "max(zerog_breaker_state) > 5"))
    case("(d) alert without a firing test", inject_d, lambda _: [
        ("named as untested", r"^\s+alert ZerogSelfTestUntested: no test expects it to fire"),
    ])

    # (e) a rule that still parses but no longer does what its tests say: promtool test rules fails
    def inject_e(tmp):
        edit(tmp, RULES, lambda t: re.sub(r"^(\s+for:\s*)\S+", r"\g<1>6h", t, count=1, flags=re.M))
    case("(e) an alert's `for` changed (a deliberately broken rule)", inject_e, lambda _: [
        ("promtool test rules fails", rf"^observability: promtool test rules {re.escape(TESTS)}: FAILED"),
    ])

    # (f) a dashboard panel without a query, and one whose PromQL does not parse
    def inject_f(tmp):
        p = os.path.join(tmp, DASHBOARD)
        d = json.load(open(p, encoding="utf-8"))
        ps = [x for x in dashboard_panels(d["panels"], []) if x.get("type") != "row" and x.get("targets")]
        ps[1]["targets"] = []
        ps[2]["targets"][0]["expr"] = "sum(rate(zerog_uploads_total[$__rate_interval])"
        json.dump(d, open(p, "w", encoding="utf-8"), indent=2)
        return ps[1].get("title"), ps[2].get("title")
    case("(f) dashboard panel without targets, and one that does not parse", inject_f, lambda titles: [
        ("no targets named", rf"^\s+panel {re.escape(repr(titles[0]))}: no targets"),
        ("parse error named", rf"^\s+panel {re.escape(repr(titles[1]))} target A: PromQL does not parse"),
    ])

    for f in failures:
        print("observability self-test FAILED: " + f)
    for d in done:
        print("observability self-test: caught: " + d)
    if failures:
        return 1
    print(f"observability self-test: OK ({len(done)} expectations: clean copy passes; injected syntax error, "
          "unexported rule metric, unexported dashboard metric, untested alert, broken `for`, empty and "
          "unparsable panels all reported)")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    help="repository root (default: the repository containing this script)")
    ap.add_argument("--self-test", action="store_true",
                    help="check that injected faults in temporary copies are reported")
    ap.add_argument("--promtool", default=os.environ.get("PROMTOOL") or shutil.which("promtool"),
                    help="promtool to run (default: $PROMTOOL, else promtool on PATH)")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    return self_test(root, args.promtool) if args.self_test else check(root, args.promtool)


if __name__ == "__main__":
    sys.exit(main())
