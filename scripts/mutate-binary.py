#!/usr/bin/env python3
"""Mutation fuzzing of the release binary, the way a hostile user meets it.

The cargo-fuzz targets (fuzz/) exercise each parser and verifier in-process; this script runs
the whole `custos` binary on mutated copies of the repository's own fixtures and checks the
contract of the command line (docs/limits.md):

- the exit code is 0, 1 or 2 (DESIGN.md), never a signal (abort, segfault) or 101 (panic);
- nothing on stderr says a thread panicked;
- the run ends within the timeout (a hang is a failure);
- `--format json` output is one JSON document whenever the exit code is 0 or 1;
- a scanned root with one mutated file still reports the other, untouched file (the rest of the
  run is never lost): a canary file with a known finding sits beside every mutated input.

Modes, chosen at random per iteration: `scan` (one to three mutated fixtures under their
original relative paths, so kind detection sees real names), `policy` (a mutated Rego file as a
user policy over fixtures/demo), `config` (a mutated custos.toml), `chain` (a chain sealed
from the first 40 records of fixtures/logs/gateway.jsonl with a signed checkpoint, mutated,
then verified against the checkpoint: besides the contract above, exit 0 — intact — is a
failure unless every line is the sealed record's JSON value — records are hashed in JCS
canonical form, so whitespace between tokens is not part of them — with at most one more
empty line). Each failure is kept under
OUT/fail-N with the inputs, the command and stderr, and is printed, as is any input slower than
`--slow` seconds (OUT/slow-N, not a failure); the exit code is the number of failures (capped
at 100).

Usage: scripts/mutate-binary.py [--custos BIN] [-n ITERATIONS] [--seed S] [--timeout SECONDS]
                                 [--out DIR] [--mem-gib G] [--modes scan,policy,config,chain]
Run it under `nice -n 19` on a shared machine. The inputs are the repository's fixtures only.
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

INTERESTING = [
    b"{", b"}", b"[", b"]", b'"', b"'", b"\\", b"${", b"}}", b"{{", b"<<: *a", b"&a ", b"*a",
    b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\r\n", b"\r", b"\t", b"-0", b"1e400", b"\\ud800",
    b"0x", b"#", b"//", b"/*", b"*/", b"---\n", b"...\n", b"? ", b": ", b"- ", b"!!binary ",
    b"=", b"<<EOF\n", b"EOF\n", b'"""', b"(", b")", b"\xe2\x80\xae", b"\xc0\x80", b"%{",
    b"AKIAIOSFODNN7EXAMPL3", b"ghp_" + b"a1B2" * 9, b"user@example.com", b"null", b"true",
]

CANARY = b'resource "aws_s3_bucket" "canary" {\n  bucket = "custos-canary-bucket"\n}\n'


def seeds(kinds):
    """Fixture files up to 64 KiB, by mode."""
    out = []
    for path in sorted((ROOT / "fixtures").rglob("*")):
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 65536:
            continue
        rel = path.relative_to(ROOT / "fixtures")
        if "hostile" in rel.parts[0]:
            continue
        is_rego = path.suffix == ".rego"
        if kinds == "rego" and is_rego:
            out.append(rel)
        elif kinds == "toml" and path.name == "custos.toml":
            out.append(rel)
        elif kinds == "data" and not is_rego and path.name != "custos.toml":
            out.append(rel)
    return out


def mutate(rng, data, others):
    data = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 3, 5, 8])):
        op = rng.randrange(8)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            data[pos:pos] = rng.choice(INTERESTING)
        elif op == 2 and data:
            end = min(len(data), pos + rng.randrange(1, 64))
            del data[pos:end]
        elif op == 3 and data:
            start = rng.randrange(len(data))
            chunk = data[start : start + rng.randrange(1, 128)]
            times = rng.choice([2, 10, 100, 1000])
            if len(chunk) * times < 4 << 20:
                data[pos:pos] = chunk * times
        elif op == 4 and others:
            other = rng.choice(others)
            start = rng.randrange(len(other) + 1)
            data[pos:pos] = other[start : start + rng.randrange(1, 512)]
        elif op == 5:
            del data[pos:]
        elif op == 6:
            opener = rng.choice([b"[", b"{", b"(", b"- ", b"  "])
            depth = rng.choice([10, 100, 1000, 20000])
            data[pos:pos] = opener * depth
        else:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    return bytes(data)


def limits(mem_gib):
    def apply():
        gib = mem_gib << 30
        resource.setrlimit(resource.RLIMIT_AS, (gib, gib))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run(cmd, cwd, timeout, mem_gib):
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, timeout=timeout, preexec_fn=limits(mem_gib)
        )
    except subprocess.TimeoutExpired as exc:
        return None, exc.stdout or b"", exc.stderr or b"", time.monotonic() - start
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start


def check(rc, out, err, want_json, want_canary):
    if rc is None:
        return "hang (timeout)"
    if rc < 0:
        return f"killed by signal {-rc}"
    if rc not in (0, 1, 2):
        return f"exit code {rc}"
    if b"panicked" in err:
        return "panic message on stderr"
    if want_canary and rc == 2:
        return "exit 2: one mutated file failed the whole run"
    if want_json and rc in (0, 1):
        try:
            report = json.loads(out)
        except ValueError as exc:
            return f"stdout is not one JSON document: {exc}"
        if want_canary:
            paths = json.dumps(report.get("findings", []))
            if "canary.tf" not in paths:
                return "the untouched canary file's findings are missing"
    return None


def same_records(chain, sealed):
    """Whether `chain` holds the sealed records: each line the same JSON value (records are
    hashed in their JCS canonical form, so whitespace between tokens is not part of a record),
    with at most one empty line after the last."""
    lines = chain.split(b"\n")
    want = sealed.rstrip(b"\n").split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    if lines and lines[-1] == b"" and len(lines) == len(want) + 1:
        lines.pop()
    if len(lines) != len(want):
        return False
    try:
        return all(json.loads(a) == json.loads(b) for a, b in zip(lines, want))
    except ValueError:
        return False


def seal_chain(custos, setup):
    """Seal the first 40 gateway records and sign a checkpoint; the sealed bytes."""
    lines = (ROOT / "fixtures/logs/gateway.jsonl").read_bytes().splitlines(keepends=True)
    (setup / "plain.jsonl").write_bytes(b"".join(lines[:40]))
    steps = [
        ["chain", "keygen", "audit", "--out-dir", "."],
        ["chain", "seal", "plain.jsonl", "-o", "chain.jsonl"],
        ["chain", "checkpoint", "--key", "audit.key", "--origin", "example.com/audit",
         "chain.jsonl", "-o", "cp.txt"],
    ]
    for step in steps:
        subprocess.run([custos, *step], cwd=setup, check=True, capture_output=True)
    return (setup / "chain.jsonl").read_bytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--custos", default=str(ROOT / "target/release/custos"))
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--mem-gib", type=int, default=8)
    ap.add_argument("--slow", type=float, default=10.0,
                    help="keep inputs slower than this many seconds under OUT/slow-N (not failures)")
    ap.add_argument("--out", default="mutate-out")
    ap.add_argument("--modes", default="scan,policy,config,chain",
                    help="comma-separated modes to draw from (weights 6:2:1:2)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    data_seeds = seeds("data")
    rego_seeds = seeds("rego")
    toml_seeds = seeds("toml")
    corpus = [(ROOT / "fixtures" / p).read_bytes() for p in data_seeds]
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    demo = ROOT / "fixtures" / "demo"
    weights = {"scan": 6, "policy": 2, "config": 1, "chain": 2}
    setup = Path(tempfile.mkdtemp(prefix="custos-mut-chain-"))
    sealed = seal_chain(args.custos, setup)
    pool = [m for m in args.modes.split(",") for _ in range(weights.get(m, 0))]
    if not pool:
        ap.error("--modes: choose from scan, policy, config")
    failures = 0
    counts = {}
    slowest = (0.0, "")
    for i in range(args.n):
        mode = rng.choice(pool)
        if mode == "policy" and not rego_seeds or mode == "config" and not toml_seeds:
            mode = "scan"
        with tempfile.TemporaryDirectory(prefix="custos-mut-") as tmp:
            tmp = Path(tmp)
            root = tmp / "root"
            root.mkdir()
            want_canary = False
            if mode == "scan":
                for rel in rng.sample(data_seeds, rng.choice([1, 1, 2, 3])):
                    target = root / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    src = (ROOT / "fixtures" / rel).read_bytes()
                    target.write_bytes(mutate(rng, src, corpus))
                (root / "canary.tf").write_bytes(CANARY)
                want_canary = True
                cmd = [args.custos, "scan", "--no-config", "-f", "json", "--fail-on", "low", "root"]
            elif mode == "policy":
                rel = rng.choice(rego_seeds)
                pol = tmp / "policy"
                pol.mkdir()
                src = (ROOT / "fixtures" / rel).read_bytes()
                (pol / rel.name).write_bytes(mutate(rng, src, []))
                cmd = [args.custos, "scan", "--no-config", "-f", "json", "--policy", "policy",
                       str(demo)]
            elif mode == "chain":
                chain = mutate(rng, sealed, [])
                (root / "chain.jsonl").write_bytes(chain)
                for name in ("cp.txt", "audit.pub"):
                    shutil.copy(setup / name, root / name)
                cmd = [args.custos, "chain", "verify", "--checkpoint", "root/cp.txt", "--key",
                       "root/audit.pub", "root/chain.jsonl"]
            else:
                rel = rng.choice(toml_seeds)
                src = (ROOT / "fixtures" / rel).read_bytes()
                (root / "custos.toml").write_bytes(mutate(rng, src, []))
                (root / "canary.tf").write_bytes(CANARY)
                cmd = [args.custos, "scan", "-f", "json", "root"]
            rc, out, err, secs = run(cmd, tmp, args.timeout, args.mem_gib)
            counts[mode] = counts.get(mode, 0) + 1
            if secs > slowest[0]:
                slowest = (secs, f"iteration {i} ({mode})")
            # A config the tool rejects (exit 2) cannot be expected to report the canary.
            problem = check(rc, out, err, mode != "chain", want_canary)
            if not problem and mode == "chain" and rc == 0 and not same_records(chain, sealed):
                problem = "chain verify accepted a modified chain (exit 0)"
            if not problem and secs > args.slow:
                keep = out_dir / f"slow-{i}"
                shutil.copytree(tmp, keep, dirs_exist_ok=True)
                (keep / "command.txt").write_text(" ".join(cmd) + f"\n{secs:.1f} s\nrc={rc}\n")
                print(f"[{i}] {mode}: slow, {secs:.1f} s -> {keep}", flush=True)
            if problem:
                failures += 1
                keep = out_dir / f"fail-{i}"
                shutil.copytree(tmp, keep, dirs_exist_ok=True)
                (keep / "command.txt").write_text(" ".join(cmd) + f"\n{problem}\nrc={rc}\n")
                (keep / "stderr.txt").write_bytes(err[-20000:])
                print(f"[{i}] {mode}: {problem} -> {keep}", flush=True)
        if (i + 1) % 200 == 0:
            print(f"{i + 1} runs, {failures} failures", flush=True)
    shutil.rmtree(setup, ignore_errors=True)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"done: {args.n} runs ({summary}), {failures} failures, "
          f"slowest {slowest[0]:.1f} s at {slowest[1]}")
    sys.exit(min(failures, 100))


if __name__ == "__main__":
    main()
