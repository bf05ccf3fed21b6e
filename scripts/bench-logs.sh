#!/usr/bin/env bash
# Throughput and peak memory of the access-log audit on generated logs (docs/logs.md).
#
# Generates SIZE bytes (default 1 GB) of JSONL and of nginx access logs with
# scripts/gen-logs.py (seeded, clean traffic of ~2,000 principals), then runs
# `custos scan` on each under GNU time, with the bundled rules (so the aggregates are built
# and evaluated), and prints MB/s per CPU-second (user + system) and per wall second, and the
# peak RSS. A second run with a tenth of the data shows whether memory depends on log size.
#
# Usage: scripts/bench-logs.sh [path/to/custos] [SIZE]   (default: target/release/custos,
# 1000000000). Build it first with `cargo build --release`. Needs python3 and GNU time; uses
# about 2.2 × SIZE of disk in $TMPDIR while it runs.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/custos}"
size="${2:-1000000000}"
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

printf '%-8s %12s %10s %10s %12s %12s %10s\n' format bytes user+sys wall "MB/s/cpu-s" "MB/s wall" "peak RSS"
run() { # run FORMAT SIZE
    local fmt="$1" n="$2" dir="$work/$1-$2"
    mkdir -p "$dir"
    python3 "$here/scripts/gen-logs.py" --scenario bench --format "$fmt" --bytes "$n" --out "$dir" >/dev/null
    local bytes stats="$work/time.txt"
    bytes=$(du -cb "$dir" | tail -1 | cut -f1)
    (cd "$dir" && /usr/bin/time -v "$bin" scan . --no-config --format json >"$work/out.json" 2>"$stats") || true
    python3 - "$stats" "$bytes" "$fmt" "$work/out.json" <<'PY'
import json, re, sys
stats, nbytes, fmt, out = open(sys.argv[1]).read(), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def g(pat):
    m = re.search(pat, stats)
    return m.group(1) if m else "0"
cpu = float(g(r"User time \(seconds\): ([\d.]+)")) + float(g(r"System time \(seconds\): ([\d.]+)"))
wall = g(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)")
parts = [float(p) for p in wall.split(":")]
secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss = int(g(r"Maximum resident set size \(kbytes\): (\d+)")) // 1024
mb = nbytes / 1e6
try:
    s = json.load(open(out))["summary"]
    extra = f"  ({s['findings']} findings, {s['documents']} documents)"
except Exception:
    extra = "  (no report: see stderr)"
print(f"{fmt:<8} {nbytes:>12} {cpu:>9.1f}s {secs:>9.1f}s {mb / cpu if cpu else 0:>12.1f} {mb / secs if secs else 0:>12.1f} {rss:>7} MB{extra}")
PY
    rm -rf "$dir"
}
for fmt in jsonl nginx; do
    run "$fmt" "$((size / 10))"
    run "$fmt" "$size"
done
