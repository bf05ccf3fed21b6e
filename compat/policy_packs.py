#!/usr/bin/env python3
"""Run public conftest policy packs' own tests under custos and print pass counts per pack.

Usage: compat/policy_packs.py MIRROR_ROOT [--custos PATH] [--markdown] [--verbose] [PACK ...]

MIRROR_ROOT holds one fetched checkout per pack, named `<owner>+<name>`: either a git
directory at `<owner>+<name>/repo` (as /work/.mirror has them; the pinned commit below is
extracted with `git archive` into a temporary directory, so the figures are for that commit
whatever the mirror's HEAD), or a plain checkout at `<owner>+<name>` (used as it is; its
commit is not checked). Nothing of the packs is stored in this repository: the table below
names each pack, its commit, and how its own CI runs its tests, and the script does the same
with custos:

  - `verify` packs run `custos policy test --format json ARGS` in the checkout, ARGS being the
    pack CI's `conftest verify` (or `opa test`) arguments. A test passes when custos reports it
    passed; the pack's tests all pass under conftest/OPA in its CI.
  - `bats` packs (redhat-cop/rego-policies) state their expectations as bats tests around
    `conftest test FILES --output tap --namespace NS ...`. Each test's input is prepared as
    the pack's helper `split_files` does (a Kubernetes `List` or a Template's `items`/`objects`
    written as a multi-document YAML file in a temporary directory), then
    `custos scan --no-bundled --format json` runs with the same flags (`--output tap` and
    `--rego-version v0` dropped: custos reads v0 and v1 on its own). A test passes when the
    exit status is the one it asserts, every `not ok` message it expects is a custos failure
    (or warning, after `# warnings`), and, when it asserts the number of output lines, the
    number of failures and warnings is the number of `not ok` lines.

Prints one line per pack (passed/total) and, with --verbose, every test that did not pass with
its reason; --markdown prints the table docs/conftest-parity.md carries. Exit 0 always (it is a
measurement, not a gate).
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

# (owner/name, commit, kind, argument lists or the bats file, how the pack's CI runs its tests)
PACKS = [
    ("plexsystems/konstraint", "76901b5726522cf8872fb3f6022d83c40e1ed711", "verify",
     [["-p", "examples", "-d", "examples/test-data"]],
     "`conftest verify -p examples -d examples/test-data` (Makefile `policy`, pull_request.yaml)"),
    ("EmbarkStudios/opa-policies", "c6377cad4660e010dc0bb01bb1a5fcf04efa60be", "verify",
     [[]],
     "`conftest verify` in the repository root (.github/actions/action.yaml, conftest v0.60.0)"),
    ("raspbernetes/k8s-security-policies", "39e822e5dc6c19adb50bdb123dec6b8b3cba5ca8", "verify",
     [["policies"]],
     "`opa test policies/ -v` (.github/workflows/build.yml)"),
    ("instrumenta/policies", "9eafe392bbec10f34d0b46fafd16b3e919aae271", "verify",
     [["-p", "kubernetes"]],
     "`conftest verify -p kubernetes/.` per directory (Makefile)"),
    ("redhat-cop/rego-policies", "7659eb6afe9b8465081fbd4a96a758f4cc4f41a1", "bats",
     "_test/conftest-unittests.sh",
     "`bats _test/conftest-unittests.sh`: `conftest test --output tap --namespace NS` per policy"),
]


def checkout(root, repo, commit, tmp):
    """A directory holding the pack at `commit` (extracted), or the plain checkout; the commit
    actually used ('' when unknown)."""
    base = os.path.join(root, repo.replace("/", "+"))
    git_dir = os.path.join(base, "repo")
    if os.path.isdir(git_dir):
        out = os.path.join(tmp, repo.replace("/", "+"))
        os.makedirs(out, exist_ok=True)
        archive = subprocess.run(["git", "--git-dir", git_dir, "archive", commit], capture_output=True)
        if archive.returncode != 0:
            raise SystemExit(f"{repo}: commit {commit} not in {git_dir}: {archive.stderr.decode()}")
        subprocess.run(["tar", "-x", "-C", out], input=archive.stdout, check=True)
        return out, commit
    if os.path.isdir(base):
        return base, ""
    return None, ""


def run_verify(custos, cwd, arg_lists):
    """(passed, total, [(test, reason)]) of `custos policy test` over each argument list."""
    passed, total, failures = 0, 0, []
    for args in arg_lists:
        p = subprocess.run([custos, "policy", "test", "--no-config", "--format", "json", *args],
                           cwd=cwd, capture_output=True, timeout=900)
        try:
            report = json.loads(p.stdout)
        except ValueError:
            failures.append((" ".join(args) or "(default)",
                             p.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]))
            continue
        for c in report.get("checks", []):
            if c.get("id") != "policy-test":
                continue
            total += 1
            if c.get("verdict") == "pass":
                passed += 1
            else:
                detail = dict(c.get("evidence", [])).get("detail", "")
                failures.append((c.get("subject", "?"), detail.splitlines()[:1]))
    return passed, total, failures


# --- bats packs -------------------------------------------------------------------------------

TEST_RE = re.compile(r'^@test "([^"]+)" \{\n(.*?)^\}', re.S | re.M)


def parse_bats(text):
    """Each test: name, split_files arguments, variables, conftest argv, asserted status,
    expected TAP lines, asserted line count."""
    tests = []
    for name, body in TEST_RE.findall(text):
        t = {"name": name, "vars": {}, "lines": {}, "status": None, "line_count": None, "split": None}
        for line in body.splitlines():
            line = line.strip()
            m = re.match(r'tmp=\$\(split_files (.*)\)$', line)
            if m:
                t["split"] = shlex.split(m.group(1))
                continue
            m = re.match(r'(\w+)="([^"]*)"$', line)
            if m and m.group(1) != "cmd":
                t["vars"][m.group(1)] = m.group(2)
                continue
            m = re.match(r'cmd="(.*)"$', line)
            if m:
                t["cmd"] = m.group(1)
                continue
            m = re.match(r'\[ "\$status" -eq (\d+) \]$', line)
            if m:
                t["status"] = int(m.group(1))
                continue
            m = re.match(r'\[ "\$\{lines\[(\d+)\]\}" = "(.*)" \]$', line)
            if m:
                t["lines"][int(m.group(1))] = m.group(2)
                continue
            m = re.match(r'\[\[ "\$\{#lines\[@\]\}" -eq (\d+) \]\]$', line)
            if m:
                t["line_count"] = int(m.group(1))
        tests.append(t)
    return tests


def split_files(cwd, search, dont_resolve, out_dir):
    """The pack's `split_files`: every YAML/JSON file under `search`, its `items` (or a
    Template's `objects`) written as separate documents to `out_dir`, flattened names."""
    import yaml  # PyYAML: only this pack needs it

    path = os.path.join(cwd, search)
    root = path if os.path.isdir(path) else os.path.dirname(path)
    files = []
    if os.path.isdir(path):
        for d, _, names in os.walk(path):
            files += [os.path.join(d, n) for n in names if n.endswith((".yml", ".yaml", ".json"))]
    else:
        files = [path]
    os.makedirs(out_dir, exist_ok=True)
    for f in sorted(files):
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
        doc = docs[0] if len(docs) == 1 else docs
        items = [doc]
        if not dont_resolve and isinstance(doc, dict):
            for key in ("objects", "items"):
                if key in doc:
                    items = doc[key] or []
                    break
        rel = os.path.relpath(f, root).replace(os.sep, "_")
        target = os.path.join(out_dir, rel)
        with open(target, "w", encoding="utf-8") as fh:
            if f.endswith(".json"):
                fh.write("\n".join(json.dumps(i) for i in items) + "\n")
            else:
                yaml.safe_dump_all(items, fh, sort_keys=False)
    return out_dir


def run_bats(custos, cwd, bats_file, tmp):
    with open(os.path.join(cwd, bats_file), encoding="utf-8") as fh:
        tests = parse_bats(fh.read())
    passed, failures = 0, []
    for n, t in enumerate(tests):
        if "cmd" not in t:
            failures.append((t["name"], ["no conftest command found in the test"]))
            continue
        tmp_dir = os.path.join(tmp, f"bats-{n}", t["split"][0] if t["split"] else "")
        if t["split"]:
            split_files(cwd, t["split"][0], len(t["split"]) > 1, tmp_dir)
        variables = dict(t["vars"], tmp=tmp_dir)
        argv = shlex.split(re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m.group(1), m.group(0)), t["cmd"]))
        args, i = [], 2  # skip `conftest test`
        while i < len(argv):
            a = argv[i]
            if a in ("--output", "-o", "--rego-version"):
                i += 2
                continue
            args.append(a)
            i += 1
        p = subprocess.run([custos, "scan", "--no-bundled", "--no-config", "--format", "json", *args],
                           cwd=cwd, capture_output=True, timeout=300)
        try:
            report = json.loads(p.stdout)
        except ValueError:
            report = {}
        findings = report.get("findings", [])
        fails = [f.get("message", "") for f in findings if f.get("level") == "failure"]
        warns = [f.get("message", "") for f in findings if f.get("level") == "warning"]
        want_fail, want_warn, section = [], [], "failures"
        for k in sorted(t["lines"]):
            line = t["lines"][k].replace("${tmp}", tmp_dir)
            if line == "# warnings":
                section = "warnings"
            m = re.match(r"not ok \d+ - .*? - (\S+) - (.*)$", line)
            if m:
                (want_warn if section == "warnings" else want_fail).append(m.group(2))
        problems = []
        if t["status"] is not None and p.returncode != t["status"]:
            problems.append(f"exit {p.returncode} (want {t['status']})")
        missing = [m for m in want_fail if m not in fails] + [m for m in want_warn if m not in warns]
        if missing:
            problems.append("missing: " + "; ".join(x[:100] for x in missing))
        if t["line_count"] is not None and (len(fails), len(warns)) != (len(want_fail), len(want_warn)):
            problems.append(f"{len(fails)} failures, {len(warns)} warnings "
                            f"(want {len(want_fail)}, {len(want_warn)})")
        if not report:
            problems.append("no report: " + " ".join(p.stderr.decode("utf-8", "replace").split())[:160])
        if problems:
            failures.append((t["name"], problems))
        else:
            passed += 1
    return passed, len(tests), failures


def main():
    argv = sys.argv[1:]
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    root = os.path.abspath(argv[0])
    custos = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "target", "debug", "custos"))
    chosen, markdown, verbose = [], False, False
    rest = iter(argv[1:])
    for a in rest:
        if a == "--custos":
            custos = os.path.abspath(next(rest))
        elif a == "--markdown":
            markdown = True
        elif a == "--verbose":
            verbose = True
        else:
            chosen.append(a)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for repo, commit, kind, spec, ci in PACKS:
            if chosen and repo not in chosen:
                continue
            cwd, used = checkout(root, repo, commit, tmp)
            if cwd is None:
                rows.append((repo, commit, None, None, [], ci))
                continue
            if kind == "verify":
                passed, total, failures = run_verify(custos, cwd, spec)
            else:
                passed, total, failures = run_bats(custos, cwd, spec, tmp)
            rows.append((repo, used, passed, total, failures, ci))
    if markdown:
        print("| pack | commit | how its CI runs the tests | passed / total |")
        print("|---|---|---|---|")
    for repo, commit, passed, total, failures, ci in rows:
        short = commit[:12] if commit else "(unpinned checkout)"
        if markdown:
            figure = "not fetched" if total is None else f"**{passed}/{total}**"
            print(f"| {repo} | `{short}` | {ci} | {figure} |")
        elif total is None:
            print(f"{repo:<38} not found under {root}")
        else:
            print(f"{repo:<38} {short:<13} {passed}/{total} passed")
        if verbose:
            for name, reason in failures:
                print(f"    FAIL {name}: {' '.join(reason)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
