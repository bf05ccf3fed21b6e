#!/usr/bin/env python3
"""Run custos over conftest's own examples and compare with conftest's documented outcomes.

Usage: compat/conftest_parity.py CONFTEST_CHECKOUT [--custos PATH] [--markdown]

CONFTEST_CHECKOUT is a checkout of github.com/open-policy-agent/conftest (nothing from it is
copied here). Each case below restates, in our own words, one case of conftest's acceptance
tests (acceptance.bats and tests/*/test.bats): the conftest command line, the exit status conftest's tests expect, the messages
they expect in the output, and the result counts when the tests state them.

The conftest command line is translated to custos:
  conftest test ...    ->  custos scan --no-bundled --format json ...
  conftest verify ...  ->  custos policy test --format json ...  (file arguments dropped:
                          verify ignores them)
and conftest's flags keep their names (-p/--policy, -d/--data, --namespace, --all-namespaces,
--combine, --fail-on-warn, --parser, -c/--config, --strict, --capabilities, --trace,
--proto-file-dirs); `--no-color` and `-o json` are dropped.

A case's *decision* matches when custos passes (exit 0) exactly when conftest does. It is
*equivalent* when, in addition, every expected message is among custos's results and the
counts conftest's tests state (failures, warnings, exceptions; tests and passed for verify)
are custos's counts. Prints the table (plain text, or Markdown with --markdown).
"""

import json
import os
import subprocess
import sys

# (case id, directory under the checkout, conftest argv, expected exit, expected messages,
#  expected counts {tests, passed, warnings, failures, exceptions} — only those stated)
K = "examples/kubernetes"
CASES = [
    ("k8s-service-warns", ".", ["test", "-p", f"{K}/policy", f"{K}/service.yaml"], 0, [], {}),
    ("k8s-service-count", ".", ["test", "-p", f"{K}/policy", f"{K}/service.yaml"], 0,
     ["Found service hello-kubernetes but services are not allowed"],
     {"tests": 5, "passed": 4, "warnings": 1, "failures": 0, "exceptions": 0}),
    ("k8s-deployment-fails", ".", ["test", "-p", f"{K}/policy", f"{K}/deployment.yaml"], 1,
     ["Containers must not run as root in Deployment hello-kubernetes"], {"failures": 4}),
    ("k8s-fail-on-warn", ".", ["test", "--fail-on-warn", "-p", f"{K}/policy", f"{K}/service.yaml"], 1, [], {}),
    ("no-policies-in-dir", ".", ["test", "-p", "internal/", f"{K}/deployment.yaml"], 1, [], {}),
    ("namespace-absent", ".", ["test", "--namespace", "notpresent", "-p", f"{K}/policy", f"{K}/deployment.yaml"], 0, [], {}),
    ("stdin-yaml", ".", ["test", "-p", f"{K}/policy", "-"], 0, [], {}, f"{K}/service.yaml"),
    ("stdin-yaml-parser", ".", ["test", "--parser", "yaml", "-p", f"{K}/policy", "-"], 0, [], {}, f"{K}/service.yaml"),
    ("conftest-toml-discovered", "examples/configfile", ["test", "deployment.yaml"], 1,
     ["Containers must not run as root"], {}),
    ("conftest-toml-flag", ".", ["test", "-c", "examples/configfile/conftest.toml", "-p", "examples/configfile/test",
                                  "examples/configfile/deployment.yaml"], 1, ["Containers must not run as root"], {}),
    ("verify-namespace-main", ".", ["verify", "--policy", f"{K}/policy", "--namespace", "main"], 0, [],
     {"tests": 4, "passed": 4}),
    ("verify-namespace-glob", ".", ["verify", "--policy", f"{K}/policy", "--namespace", "ma*"], 0, [],
     {"tests": 4, "passed": 4}),
    ("verify-namespace-absent", ".", ["verify", "--policy", f"{K}/policy", "--namespace", "doesnotexist"], 0, [],
     {"tests": 0, "passed": 0}),
    ("verify-no-policies", ".", ["verify", "-p", "internal/"], 1, [], {}),
    ("verify-two-policy-dirs", ".", ["verify", "--policy", "examples/report/policy", "--policy",
                                     "examples/report/success"], 0, [], {"tests": 1, "passed": 1}),
    ("verify-two-policy-dirs-fail", ".", ["verify", "--policy", "examples/report/policy", "--policy",
                                          "examples/report/fail"], 1, [], {"tests": 1, "passed": 0}),
    ("rego-file-as-policy-json", ".", ["test", "-p", "examples/hcl1/policy/base.rego", "examples/hcl1/gke-show.json"], 1,
     ["Terraform plan will change prohibited resources in the following namespaces: google_iam, google_container"], {}),
    ("print-output", ".", ["test", "-p", "examples/report/policy_print/labels.rego", f"{K}/deployment.yaml"], 1,
     [], {}),
    ("ini", ".", ["test", "-p", "examples/ini/policy", "examples/ini/grafana.ini"], 1,
     ["Users should verify their e-mail address"], {}),
    ("hcl2", ".", ["test", "-p", "examples/hcl2/policy", "examples/hcl2/terraform.tf"], 1,
     ["ALB `my-alb-listener` is using HTTP rather than HTTPS"], {}),
    ("stdin-ini-parser", ".", ["test", "-p", "examples/ini/policy", "--parser", "ini", "-"], 1,
     ["Users should verify their e-mail address"], {}, "examples/ini/grafana.ini"),
    ("verify-hcl2-parse-config", ".", ["verify", "-p", "examples/hcl2/policy"], 0, [], {}),
    ("verify-k8s", ".", ["verify", "--policy", f"{K}/policy"], 0, [], {"tests": 4, "passed": 4}),
    ("multi-file-last-ok", ".", ["test", "-p", f"{K}/policy", f"{K}/deployment.yaml", f"{K}/service.yaml"], 1, [], {}),
    ("verify-failing-test", ".", ["verify", "-p", "examples/traefik/policy"], 1, [], {}),
    ("data-dir", ".", ["test", "-p", "examples/data/policy", "-d", "examples/data/exclusions",
                       "examples/data/service.yaml"], 1, ["Cannot expose port"], {}),
    ("verify-data-dir", ".", ["verify", "-p", "examples/data/policy", "-d", "examples/data/exclusions"], 0, [],
     {"tests": 1, "passed": 1}),
    ("compose-fails", ".", ["test", "-p", "examples/compose/policy", "examples/compose/docker-compose.yml"], 1,
     ["No images tagged latest"], {"tests": 2, "passed": 0, "warnings": 0, "failures": 2, "exceptions": 0}),
    ("compose-valid", ".", ["test", "-p", "examples/compose/policy", "examples/compose/docker-compose-valid.yml"], 0,
     [], {"tests": 2, "passed": 2, "warnings": 0, "failures": 0, "exceptions": 0}),
    ("exceptions", ".", ["test", "-p", "examples/exceptions/policy", "examples/exceptions/deployments.yaml"], 1,
     ['data.main.exception[_][_] == "run_as_root"'],
     {"tests": 2, "passed": 0, "warnings": 0, "failures": 1, "exceptions": 1}),
    ("combine", ".", ["test", "-p", "examples/combine/policy", "examples/combine/team.yaml", "examples/combine/user1.yaml",
                      "examples/combine/user2.yaml", "--combine"], 1, [],
     {"tests": 2, "passed": 1, "warnings": 0, "failures": 1}),
    ("combine-multidoc", ".", ["test", "-p", "examples/combine/policy", "examples/combine/team.yaml",
                               "examples/combine/users.yaml", "--combine"], 1, [],
     {"tests": 2, "passed": 1, "warnings": 0, "failures": 1}),
    ("missing-library-package", ".", ["test", "-p", f"{K}/policy/deny.rego", f"{K}/deployment.yaml"], 0, [], {}),
    ("all-namespaces", ".", ["test", "-p", f"{K}/policy/", f"{K}/deployment.yaml", "--all-namespaces"], 1, [],
     {"tests": 5, "passed": 1, "warnings": 0, "failures": 4, "exceptions": 0}),
    ("symlinked-dir", ".", ["test", "-p", "examples/hcl2/policy", "@SYMLINK:examples/hcl2"], 1, [],
     {"tests": 10, "passed": 3, "warnings": 0, "failures": 7, "exceptions": 0}),
    ("multidir-policies", "tests/multidir", ["test", "--policy", "org", "--policy", "team", "data.json"], 1, [],
     {"tests": 2, "passed": 0, "warnings": 0, "failures": 2}),
    ("nested-namespace-1", "tests/nested", ["test", "--namespace", "group1", "data.json"], 1, [], {}),
    ("nested-namespace-2", "tests/nested", ["test", "--namespace", "group2", "data.json"], 1, [], {}),
    ("nested-two-namespaces", "tests/nested", ["test", "--namespace", "group1", "--namespace", "group2", "data.json"], 1,
     [], {"tests": 2, "passed": 0, "warnings": 0, "failures": 2}),
    ("contains-if", "tests/problematic-if", ["test", "--policy=policy/valid.rego", "data.yaml"], 1, [],
     {"tests": 1, "passed": 0, "warnings": 0, "failures": 1, "exceptions": 0}),
    ("bare-deny", "tests/problematic-if", ["test", "--policy=policy/valid_bare_deny.rego", "data.yaml"], 0, [],
     {"tests": 1, "passed": 1, "warnings": 0, "failures": 0, "exceptions": 0}),
    ("if-without-contains", "tests/problematic-if", ["test", "--policy=policy/invalid.rego", "data.yaml"], 1,
     ["'if' keyword without 'contains' keyword"], {}),
    ("multiple-failures", "tests/return-multiple-failures", ["test", "-p", "policy.rego", "file.json"], 1, [],
     {"failures": 3}),
    ("multitype", "tests/multitype", ["test", "deployment.yaml", "grafana.ini"], 1, ["Port should be"], {}),
    ("annotations-verify", "tests/annotations", ["verify", "--data", "exclusions", "service.yaml"], 0, [],
     {"tests": 1, "passed": 1}),
    ("loc-json", "tests/source-location", ["test", "-d", "loc_different_file.yaml", "data.yaml"], 1, [], {}),
    # The other input formats (each case restates one "Can parse … files" test).
    ("toml", ".", ["test", "-p", "examples/traefik/policy", "examples/traefik/traefik.toml"], 1, [], {}),
    ("xml", ".", ["test", "-p", "examples/xml/policy", "examples/xml/pom.xml"], 1,
     ["maven-plugin must have the version: 3.6.1"], {}),
    ("dockerfile", ".", ["test", "-p", "examples/docker/policy", "examples/docker/Dockerfile"], 1,
     ['unallowed image found ["openjdk:8-jdk-alpine"]'], {}),
    ("dockerignore", ".", ["test", "-p", "examples/ignore/dockerignore/policy",
                           "examples/ignore/dockerignore/.dockerignore"], 1, [".git directories should be ignored"], {}),
    ("gitignore", ".", ["test", "-p", "examples/ignore/gitignore/policy", "examples/ignore/gitignore/.gitignore"], 1,
     ["id_rsa files should be ignored"], {}),
    ("properties", ".", ["test", "-p", "examples/properties/policy/", "examples/properties/sample.properties"], 0, [], {}),
    ("dotenv", ".", ["test", "-p", "examples/dotenv/policy/", "examples/dotenv/sample.env"], 0, [], {}),
    ("hcl1", ".", ["test", "-p", "examples/hcl1/policy/gke.rego", "examples/hcl1/gke.tf"], 0, [], {}),
    ("hcl1-nested-namespace", ".", ["test", "--namespace", "main.gke", "-p", "examples/hcl1/policy/",
                                    "examples/hcl1/gke.tf"], 1, [],
     {"tests": 1, "passed": 0, "warnings": 0, "failures": 1, "exceptions": 0}),
    ("hcl1-combine", ".", ["test", "-p", "examples/hcl1/policy/gke_combine.rego", "examples/hcl1/gke.tf", "--combine",
                           "--parser", "hcl1", "--all-namespaces"], 0, [], {}),
    ("edn", ".", ["test", "-p", "examples/edn/policy", "examples/edn/sample_config.edn"], 1, [], {}),
    ("hocon", ".", ["test", "-p", "examples/hocon/policy", "examples/hocon/hocon.conf", "--parser", "hocon"], 1,
     ["Play http server port should be 9000"], {}),
    ("vcl", ".", ["test", "-p", "examples/vcl/policy", "examples/vcl/varnish.vcl"], 1,
     ["default backend port should be 8080"], {}),
    ("jsonnet", ".", ["test", "-p", "examples/jsonnet/policy", "examples/jsonnet/arith.jsonnet"], 1,
     ["Concat array should be less than 3"], {}),
    ("cue", ".", ["test", "-p", "examples/cue/policy", "examples/cue/deployment.cue"], 1,
     ["The image port should be 8080 in deployment.cue. you have : 8081"], {}),
    ("spdx", ".", ["test", "-p", "examples/spdx/policy", "examples/spdx/sbom.spdx"], 0, [],
     {"tests": 1, "passed": 1, "warnings": 0, "failures": 0, "exceptions": 0}),
    ("cyclonedx-json", ".", ["test", "--policy", "./examples/cyclonedx/policy/", "./examples/cyclonedx/cyclonedx.json",
                             "--parser", "cyclonedx"], 0, [], {}),
    ("cyclonedx-xml", ".", ["test", "--policy", "./examples/cyclonedx/policy/", "./examples/cyclonedx/cyclonedx.xml",
                            "--parser", "cyclonedx"], 0, [], {}),
    ("verify-nginx", ".", ["verify", "-p", "examples/nginx/policy"], 0, [], {}),
    ("textproto", ".", ["test", "--proto-file-dirs=examples/textproto/protos", "-p", "examples/textproto/policy",
                        "examples/textproto/"], 1, [],
     {"tests": 2, "passed": 1, "warnings": 0, "failures": 1, "exceptions": 0}),
    ("textproto-no-schema", ".", ["test", "-p", "examples/textproto/policy", "examples/textproto/"], 1,
     ["look up message type"], {}),
    ("jenkinsfile", ".", ["test", "-p", "examples/jenkins/policy", "examples/jenkins/Jenkinsfile"], 1,
     ["Pipeline downloads a script and pipes it directly to an interpreter"], {}),
    ("jenkinsfile-safe", ".", ["test", "-p", "examples/jenkins/policy", "examples/jenkins/Jenkinsfile.safe"], 0, [], {}),
    # "Can parse Groovy from stdin" (`conftest parse --parser groovy -`; custos has no `parse`
    # verb, so the same input is tested with the example's policy instead).
    ("jenkinsfile-stdin", ".", ["test", "--parser", "groovy", "-p", "examples/jenkins/policy", "-"], 0, [], {},
     "examples/jenkins/Jenkinsfile.safe"),
    # Not an acceptance test: the Jenkins example's own unit tests (`deny_test.rego`, built with
    # `parse_config("groovy", ...)`: command calls, GStrings split by `${''}`, dollar-slashy strings).
    ("verify-jenkins", ".", ["verify", "-p", "examples/jenkins/policy"], 0, [], {"tests": 5, "passed": 5}),
    # Flags.
    ("strict", ".", ["test", "-p", "examples/strict-rules/policy/", "examples/kubernetes/deployment.yaml", "--strict"], 1,
     ["rego_compile_error: assigned var b unused", "rego_compile_error: assigned var x unused",
      "rego_compile_error: assigned var c unused", "rego_compile_error: unused argument y"], {}),
    ("verify-strict", ".", ["verify", "-p", "examples/strict-rules/policy/", "examples/kubernetes/deployment.yaml",
                            "--strict"], 1,
     ["rego_compile_error: assigned var b unused", "rego_compile_error: unused argument y"], {}),
    ("capabilities", ".", ["test", "examples/kubernetes/deployment.yaml", "-p", "examples/kubernetes/policy/", "-p",
                           "examples/capabilities/malicious.rego", "--capabilities",
                           "examples/capabilities/capabilities.json"], 1,
     ["undefined function opa.runtime", "undefined function http.send"], {}),
    ("trace", ".", ["test", "-p", "examples/kubernetes/policy", "examples/kubernetes/service.yaml", "--trace"], 0,
     ["data.kubernetes.is_service"], {}),
    ("verify-trace", ".", ["verify", "--policy", "./examples/kubernetes/policy", "--trace"], 0,
     ["data.kubernetes.is_service"], {}),
]

# Cases where conftest fails with an error rather than with failing results.
ERROR_CASES = {"no-policies-in-dir", "verify-no-policies", "if-without-contains", "strict", "verify-strict",
               "capabilities", "textproto-no-schema"}

VALUE_FLAGS = {"--namespace", "-n", "--parser", "--capabilities"}
DROP = {"--no-color"}
SCAN_FLAGS = {"-p": "--policy", "--policy": "--policy", "-d": "--data", "--data": "--data",
              "-c": "--config", "--config": "--config"}


def translate(argv, symlink):
    """The custos argv for a conftest argv."""
    verb, rest = argv[0], argv[1:]
    out = ["scan", "--no-bundled"] if verb == "test" else ["policy", "test"]
    i = 0
    while i < len(rest):
        a = rest[i]
        if a in DROP:
            pass
        elif a in ("-o", "--output"):
            i += 1
        elif "=" in a and a.startswith("--") and a.split("=", 1)[0] in SCAN_FLAGS:
            k, v = a.split("=", 1)
            out += [SCAN_FLAGS[k], v]
        elif a in VALUE_FLAGS:
            out += [a, rest[i + 1]]
            i += 1
        elif a in SCAN_FLAGS:
            out += [SCAN_FLAGS[a], rest[i + 1]]
            i += 1
        elif a.startswith("@SYMLINK:"):
            out.append(symlink)
        elif verb == "verify" and not a.startswith("-"):
            pass  # conftest's verify ignores file arguments
        else:
            out.append(a)
        i += 1
    return out + ["--format", "json"]


def counts_of(verb, report):
    """conftest's tallies from a custos JSON report."""
    if verb == "verify":
        tests = [c for c in report.get("checks", []) if c.get("id") == "policy-test"]
        return {"tests": len(tests), "passed": sum(c.get("verdict") == "pass" for c in tests)}, []
    findings = report.get("findings", [])
    fails = [f for f in findings if f.get("level") == "failure"]
    warns = [f for f in findings if f.get("level") == "warning"]
    excs = [c for c in report.get("checks", []) if c.get("id") == "policy-exception"]
    tally = next((c for c in report.get("checks", []) if c.get("id") == "policy-tally"), None)
    counts = {"failures": len(fails), "warnings": len(warns), "exceptions": len(excs)}
    if tally:
        ev = dict(tally.get("evidence", []))
        for k in ("tests", "passed"):
            if k in ev:
                counts[k] = int(ev[k])
    messages = [f.get("message", "") for f in findings] + [c.get("summary", "") for c in excs]
    return counts, messages


def run_case(root, custos, case, tmp):
    cid, cwd, argv, want_rc, want_msgs, want_counts = case[:6]
    stdin_file = case[6] if len(case) > 6 else None
    symlink = os.path.join(tmp, "linked-hcl2")
    if not os.path.lexists(symlink):
        os.symlink(os.path.join(root, "examples/hcl2"), symlink)
    args = [custos] + translate(argv, symlink)
    stdin = open(os.path.join(root, stdin_file), "rb") if stdin_file else subprocess.DEVNULL
    try:
        p = subprocess.run(args, cwd=os.path.join(root, cwd), stdin=stdin, capture_output=True, timeout=120)
    finally:
        if stdin_file:
            stdin.close()
    text = p.stdout.decode("utf-8", "replace")
    try:
        report = json.loads(text)
    except ValueError:
        report = {}
    counts, messages = counts_of(argv[0], report)
    # miette wraps long error lines: compare with the frame and line breaks taken out.
    all_text = " ".join(
        (text + p.stderr.decode("utf-8", "replace")).replace("│", " ").replace("×", " ").split()
    )
    # Exit 2 is custos's "could not do its job": it matches conftest's failure only where
    # conftest's failure is itself an error (no policies found, a policy it refuses to load).
    failed_ok = (1, 2) if cid in ERROR_CASES else (1,)
    decision = p.returncode == 0 if want_rc == 0 else p.returncode in failed_ok
    missing = [m for m in want_msgs if not any(m in x for x in messages) and m not in all_text]
    wrong = {k: (v, counts.get(k)) for k, v in want_counts.items() if counts.get(k) != v}
    return {
        "id": cid, "rc": p.returncode, "want_rc": want_rc, "decision": decision,
        "equivalent": decision and not missing and not wrong,
        "missing": missing, "wrong": wrong,
        "error": "" if report else all_text.strip().splitlines()[-1:] ,
    }


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    root = os.path.abspath(sys.argv[1])
    custos = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "target", "debug", "custos"))
    if "--custos" in sys.argv:
        custos = os.path.abspath(sys.argv[sys.argv.index("--custos") + 1])
    markdown = "--markdown" in sys.argv
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        results = [run_case(root, custos, c, tmp) for c in CASES]
    commit = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    n = len(results)
    dec = sum(r["decision"] for r in results)
    eq = sum(r["equivalent"] for r in results)
    if markdown:
        print(f"conftest commit `{commit}`: {dec}/{n} decisions match, {eq}/{n} equivalent\n")
        print("| case | conftest exit | custos exit | decision | equivalent | difference |")
        print("|---|---|---|---|---|---|")
    else:
        print(f"conftest commit {commit}: {dec}/{n} decisions match, {eq}/{n} equivalent")
    for r in results:
        diff = []
        if r["missing"]:
            diff.append("missing " + "; ".join(r["missing"]))
        if r["wrong"]:
            diff.append(", ".join(f"{k} {g} (want {w})" for k, (w, g) in r["wrong"].items()))
        if r["error"] and not r["decision"]:
            diff.append("stderr: " + " ".join(r["error"])[:120])
        d = " / ".join(diff).replace("|", "\\|")
        yes = lambda b: "yes" if b else "NO"
        if markdown:
            print(f"| {r['id']} | {r['want_rc']} | {r['rc']} | {yes(r['decision'])} | {yes(r['equivalent'])} | {d} |")
        else:
            print(f"{r['id']:<28} want {r['want_rc']} got {r['rc']}  decision {yes(r['decision']):<3} equiv {yes(r['equivalent']):<3} {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
