#!/usr/bin/env python3
"""Measure custos's precision on the hand-labelled third-party corpus.

    bash precision/fetch.sh
    python3 precision/measure.py --custos target/release/custos

For every source of precision/corpus.toml that fetch.sh materialised, runs
`custos scan . --format json --no-config` inside the source's folder, joins the findings with
precision/labels.jsonl and prints, per rule and overall: findings, labelled tp / demo / fp,
unlabelled, and precision (strict tp/labelled; lenient (tp+demo)/labelled), for all findings and
for gate-failing ones (level "failure") only. It also writes a markdown report and lists the
unlabelled findings so that a person can label them.

Labels are keyed by (source, path, rule_id, fingerprint); `line` in a label is only a hint, used
when no fingerprint matches (then the label must match path, rule and line, and the match is
reported as a hint match to re-check). Standard library only (Python >= 3.11).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = ("tp", "demo", "fp")


def load_corpus(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def load_labels(path: Path) -> list[dict]:
    labels = []
    if not path.exists():
        return labels
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                sys.exit(f"{path}:{n}: not JSON: {err}")
            for field in ("source", "path", "rule_id", "label"):
                if field not in rec:
                    sys.exit(f"{path}:{n}: label lacks `{field}`")
            if rec["label"] not in LABELS:
                sys.exit(f"{path}:{n}: label must be one of {LABELS}, not {rec['label']!r}")
            rec["_line_no"] = n
            labels.append(rec)
    return labels


def scan(custos: str, src: Path, out: Path) -> dict:
    cmd = [custos, "scan", ".", "--format", "json", "--no-config", "--color", "never",
           "--output", str(out)]
    proc = subprocess.run(cmd, cwd=src, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"custos exited {proc.returncode} on {src}: {proc.stderr.strip()[:500]}")
    with out.open(encoding="utf-8") as fh:
        return json.load(fh)


def norm_path(p: str) -> str:
    return p[2:] if p.startswith("./") else p


def sample_rank(seed: int, key: tuple) -> str:
    return hashlib.sha256(f"{seed}:{':'.join(map(str, key))}".encode()).hexdigest()


def pct(num: int, den: int) -> str:
    return f"{100.0 * num / den:.1f}%" if den else "n/a"


class Tally:
    def __init__(self) -> None:
        self.findings = 0      # all findings
        self.in_scope = 0      # findings to label (all, or the sample)
        self.tp = 0
        self.demo = 0
        self.fp = 0
        self.weight = {"tp": 0.0, "demo": 0.0, "fp": 0.0}  # sample-weighted counts

    @property
    def labelled(self) -> int:
        return self.tp + self.demo + self.fp

    @property
    def unlabelled(self) -> int:
        return self.in_scope - self.labelled

    def add(self, label: str | None, weight: float) -> None:
        self.in_scope += 1
        if label:
            setattr(self, label, getattr(self, label) + 1)
            self.weight[label] += weight

    def row(self) -> list[str]:
        lab = self.labelled
        wt = sum(self.weight.values())
        return [str(self.findings), str(self.in_scope), str(self.tp), str(self.demo), str(self.fp),
                str(self.unlabelled), pct(self.tp, lab), pct(self.tp + self.demo, lab),
                f"{pct(self.weight['tp'], wt)} / {pct(self.weight['tp'] + self.weight['demo'], wt)}"
                if wt else "n/a"]


HEADER = ["findings", "to label", "tp", "demo", "fp", "unlabelled", "strict tp/lab",
          "lenient (tp+demo)/lab", "weighted strict / lenient"]


def table(title: str, rows: dict[str, Tally], total: Tally, what: str = "rule") -> list[str]:
    lines = [f"#### {title}", "", f"| {what} | " + " | ".join(HEADER) + " |",
             "|---|" + "---:|" * len(HEADER)]
    for key in sorted(rows):
        lines.append(f"| {key} | " + " | ".join(rows[key].row()) + " |")
    lines.append("| **all** | " + " | ".join(f"**{c}**" for c in total.row()) + " |")
    return lines


def print_table(title: str, rows: dict[str, Tally], total: Tally, what: str = "rule") -> None:
    print(f"\n== {title}")
    widths = [max(len(what), *(len(k) for k in rows), 5)] + [max(len(h), 8) for h in HEADER]
    head = [what] + HEADER
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for key in sorted(rows):
        print("  ".join(c.rjust(w) for c, w in zip([key] + rows[key].row(), widths)))
    print("  ".join(c.rjust(w) for c, w in zip(["ALL"] + total.row(), widths)))


def context(src: Path, path: str, line: int | None, around: int) -> list[str]:
    if line is None:
        return []
    try:
        with (src / path).open(encoding="utf-8", errors="replace") as fh:
            text = fh.read().splitlines()
    except OSError:
        return []
    lo, hi = max(1, line - around), min(len(text), line + around)
    return [f"    {'>' if n == line else ' '}{n:6} | {text[n - 1][:200]}" for n in range(lo, hi + 1)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--custos", required=True, help="path of the custos binary to measure")
    ap.add_argument("--cache", default=os.environ.get("CUSTOS_PRECISION_CACHE", "/tmp/custos-precision"),
                    help="cache directory of fetch.sh (default /tmp/custos-precision)")
    ap.add_argument("--corpus", default=str(HERE / "corpus.toml"))
    ap.add_argument("--labels", default=str(HERE / "labels.jsonl"))
    ap.add_argument("--markdown", default=None,
                    help="write the markdown report here (default CACHE/report.md)")
    ap.add_argument("--unlabelled-out", default=None,
                    help="write label skeletons (JSONL) for unlabelled findings here "
                         "(default CACHE/unlabelled.jsonl)")
    ap.add_argument("--source", action="append", default=[], help="only these sources (repeatable)")
    ap.add_argument("--context", type=int, default=0, metavar="N",
                    help="print N lines of context around each unlabelled finding "
                         "(on your terminal only: it can show secret values)")
    args = ap.parse_args()

    custos = str(Path(args.custos).resolve()) if os.sep in args.custos else args.custos
    cache = Path(args.cache)
    corpus = load_corpus(Path(args.corpus))
    seed = int(corpus.get("sampling", {}).get("seed", 0))
    labels = load_labels(Path(args.labels))
    md_path = Path(args.markdown) if args.markdown else cache / "report.md"
    unl_path = Path(args.unlabelled_out) if args.unlabelled_out else cache / "unlabelled.jsonl"

    by_key: dict[tuple, dict] = {}
    for rec in labels:
        key = (rec["source"], rec["path"], rec["rule_id"], rec.get("fingerprint"))
        if key in by_key:
            sys.exit(f"{args.labels}:{rec['_line_no']}: duplicate label for {key}")
        by_key[key] = rec
    used: set[int] = set()

    rules_all: dict[str, Tally] = collections.defaultdict(Tally)
    rules_gate: dict[str, Tally] = collections.defaultdict(Tally)
    sources_all: dict[str, Tally] = collections.defaultdict(Tally)
    total_all, total_gate = Tally(), Tally()
    fp_classes: dict[str, list] = collections.defaultdict(list)
    demo_classes: dict[str, list] = collections.defaultdict(list)
    tp_classes: dict[str, list] = collections.defaultdict(list)
    unlabelled: list[dict] = []
    missing_sources: list[str] = []
    hint_matches: list[str] = []
    tool_version = "?"

    reports = cache / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for source in corpus["source"]:
        name = source["name"]
        if args.source and name not in args.source:
            continue
        src = cache / "src" / name
        if not src.is_dir():
            missing_sources.append(name)
            continue
        report = scan(custos, src, reports / f"{name}.json")
        tool_version = report.get("tool", {}).get("version", "?")
        findings = report.get("findings", [])
        for f in findings:
            f["path"] = norm_path(f["path"])
        sample_n = source.get("sample")
        in_scope = findings
        if sample_n is not None and len(findings) > sample_n:
            ranked = sorted(findings, key=lambda f: sample_rank(
                seed, (name, f["path"], f["rule_id"], f.get("fingerprint"))))
            in_scope = ranked[:sample_n]
        weight = len(findings) / len(in_scope) if in_scope else 1.0
        scope_ids = {id(f) for f in in_scope}
        print(f"{name}: {len(findings)} findings"
              + (f", sample of {len(in_scope)} labelled (seed {seed})" if len(in_scope) < len(findings) else ""))

        # A label matches by fingerprint; failing that, by (path, rule, line) as a hint.
        for f in findings:
            gate = f.get("level") == "failure"
            for tally in (rules_all[f["rule_id"]], sources_all[name], total_all) + (
                    (rules_gate[f["rule_id"]], total_gate) if gate else ()):
                tally.findings += 1
            if id(f) not in scope_ids:
                continue
            line = (f.get("location") or {}).get("line")
            rec = by_key.get((name, f["path"], f["rule_id"], f.get("fingerprint")))
            if rec is not None and id(rec) in used:
                rec = None
            if rec is None:
                for cand in labels:
                    if (id(cand) not in used and cand["source"] == name and cand["path"] == f["path"]
                            and cand["rule_id"] == f["rule_id"] and cand.get("line") == line
                            and cand.get("fingerprint") != f.get("fingerprint")):
                        rec = cand
                        hint_matches.append(f"{name}:{f['path']}:{line} {f['rule_id']} "
                                            f"({cand['label']}: {cand.get('why', '')[:80]}) "
                                            f"now: {(f.get('message') or '')[:80]}")
                        break
            label = None
            if rec is not None:
                used.add(id(rec))
                label = rec["label"]
                if label == "fp":
                    fp_classes[rec.get("class", "(no class)")].append(f"{name}:{f['path']}:{line}")
                elif label == "demo":
                    demo_classes[rec.get("class", "(no class)")].append(f"{name}:{f['path']}:{line}")
                else:
                    tp_classes[rec.get("class", "(no class)")].append(f"{name}:{f['path']}:{line}")
            else:
                unlabelled.append({"source": name, "path": f["path"], "rule_id": f["rule_id"],
                                   "fingerprint": f.get("fingerprint"), "line": line,
                                   "level": f.get("level"), "message": f.get("message"),
                                   "_src": src})
            for tally in (rules_all[f["rule_id"]], sources_all[name], total_all) + (
                    (rules_gate[f["rule_id"]], total_gate) if gate else ()):
                tally.add(label, weight)

    stale = [rec for rec in labels if id(rec) not in used
             and (not args.source or rec["source"] in args.source)]

    print_table("all findings, per rule", rules_all, total_all)
    print_table("gate-failing findings (level failure), per rule", rules_gate, total_gate)
    print_table("all findings, per source", sources_all, total_all, "source")
    print(f"\ncustos {tool_version}; overall strict precision {pct(total_all.tp, total_all.labelled)}, "
          f"lenient {pct(total_all.tp + total_all.demo, total_all.labelled)} "
          f"({total_all.labelled} labelled of {total_all.in_scope} to label, {total_all.findings} findings); "
          f"gate-failing: strict {pct(total_gate.tp, total_gate.labelled)}, "
          f"lenient {pct(total_gate.tp + total_gate.demo, total_gate.labelled)}; "
          f"sample-weighted strict / lenient: {total_all.row()[-1]}")
    if fp_classes:
        print("\nfalse-positive classes (most frequent first):")
        for cls, where in sorted(fp_classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print(f"  {len(where):4}  {cls}   e.g. {', '.join(where[:2])}")
    if hint_matches:
        print(f"\n{len(hint_matches)} label(s) matched by line hint only (fingerprint changed): re-check "
              "them, and add a label with the new fingerprint when the label still holds:")
        for h in hint_matches:
            print(f"  {h}")
    if stale:
        print(f"\n{len(stale)} label(s) matched no finding (fixed, moved or no longer reported), e.g.:")
        for rec in stale[:10]:
            print(f"  {rec['source']}:{rec['path']}:{rec.get('line')} {rec['rule_id']} ({rec['label']})")
    if missing_sources:
        print(f"\nNOT FETCHED (run precision/fetch.sh): {', '.join(missing_sources)}")
    if unlabelled:
        print(f"\n{len(unlabelled)} unlabelled finding(s) (skeletons in {unl_path}):")
        for u in unlabelled:
            print(f"  {u['source']}:{u['path']}:{u['line']} {u['rule_id']} [{u['level']}] {u['message']}")
            for ctx in context(u["_src"], u["path"], u["line"], args.context) if args.context else []:
                print(ctx)
    unl_path.parent.mkdir(parents=True, exist_ok=True)
    with unl_path.open("w", encoding="utf-8") as fh:
        for u in unlabelled:
            rec = {k: u[k] for k in ("source", "path", "rule_id", "fingerprint", "line")}
            rec.update({"label": "", "class": "", "why": ""})
            fh.write(json.dumps(rec) + "\n")

    md = [f"### custos {tool_version} on the precision corpus", "",
          f"Overall: {total_all.findings} findings, {total_all.labelled} labelled "
          f"(tp {total_all.tp}, demo {total_all.demo}, fp {total_all.fp}), "
          f"{total_all.unlabelled} unlabelled. Strict precision (tp/labelled) "
          f"**{pct(total_all.tp, total_all.labelled)}**, lenient ((tp+demo)/labelled) "
          f"**{pct(total_all.tp + total_all.demo, total_all.labelled)}**. "
          f"Gate-failing findings only: strict {pct(total_gate.tp, total_gate.labelled)}, "
          f"lenient {pct(total_gate.tp + total_gate.demo, total_gate.labelled)}. "
          f"Weighted by each source's sampling rate (strict / lenient): {total_all.row()[-1]}.", ""]
    md += table("All findings, per rule", rules_all, total_all) + [""]
    md += table("Gate-failing findings (level failure), per rule", rules_gate, total_gate) + [""]
    md += table("All findings, per source", sources_all, total_all, "source") + [""]
    if fp_classes:
        md += ["#### False-positive classes", "", "| count | class | examples |", "|---:|---|---|"]
        for cls, where in sorted(fp_classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            md.append(f"| {len(where)} | {cls} | {', '.join(where[:2])} |")
        md.append("")
    if demo_classes:
        md += ["#### Demo/test classes (correct detections of non-production values)", "",
               "| count | class | examples |", "|---:|---|---|"]
        for cls, where in sorted(demo_classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            md.append(f"| {len(where)} | {cls} | {', '.join(where[:2])} |")
        md.append("")
    if tp_classes:
        md += ["#### True-positive classes", "", "| count | class | examples |", "|---:|---|---|"]
        for cls, where in sorted(tp_classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            md.append(f"| {len(where)} | {cls} | {', '.join(where[:2])} |")
        md.append("")
    if missing_sources:
        md += [f"Not fetched: {', '.join(missing_sources)}.", ""]
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text("\n".join(md), encoding="utf-8")
    print(f"\nmarkdown report: {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
