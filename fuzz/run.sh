#!/usr/bin/env bash
# Run fuzz targets, each until it reaches RUNS executions or MINUTES minutes, whichever comes
# first, and print and record executions, executions per second, seconds and crashes per target.
#
# Usage: fuzz/run.sh [-j JOBS] [-n RUNS] [-r RESULTS] [--no-build] [MINUTES] [TARGET...]
#   MINUTES   time cap per target (default 5; fractions allowed)
#   TARGET    targets to run, in this order (default: every target, `cargo fuzz list` order)
#   -j JOBS   run JOBS targets at the same time (default 1; use 2 at most on a shared machine)
#   -n RUNS   execution cap per target (default 10000000); 0 means no cap, time only
#   -r FILE   results file to append one row per target to (default fuzz/RESULTS.md)
#   --no-build  use the binaries already built
#
# Every fuzzer runs under `nice -n 19`, so it only takes CPU nobody else wants. Each target's
# working corpus is fuzz/corpus/<target> (not committed); the committed seeds in
# fuzz/seeds/<target> are read as a second corpus. Crashes, timeouts and OOMs land in
# fuzz/artifacts/<target>; the libFuzzer log of the last run is in fuzz/logs/<target>.log.
# A crash stops that target's run (libFuzzer's default): fix it, then run the target again.
set -u
cd "$(dirname "$0")"
parallel=1
runs=10000000
results=RESULTS.md
build=1
while [ "$#" -gt 0 ]; do
    case "$1" in
    -j) parallel="$2"; shift 2 ;;
    -n) runs="$2"; shift 2 ;;
    -r) results="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
case "$parallel" in '' | *[!0-9]* | 0) echo "-j wants a positive number" >&2; exit 2 ;; esac
case "$runs" in '' | *[!0-9]*) echo "-n wants a number" >&2; exit 2 ;; esac
minutes="${1:-5}"
shift || true
seconds="$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); if (s < 1) s = 1; print s }')"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
flags=(-s none -a -O)
# Build once, then run the built binaries: editing the crate while the targets run does not
# trigger a rebuild between targets.
if [ "$build" = 1 ]; then
    nice -n 19 cargo +nightly fuzz build "${flags[@]}" >/dev/null || exit 2
fi
bin="target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain -- .. 2>/dev/null | grep -v '^??')" ]; then
    commit="$commit+dirty"
fi
mkdir -p logs
if [ ! -s "$results" ]; then
    {
        echo "# Fuzz campaign results"
        echo
        echo "One row per run of \`fuzz/run.sh\` and target, appended by the script (newest last)."
        echo "\`execs\` counts libFuzzer executions of that run only; the working corpus carries over"
        echo "between runs. \`crashes\` counts new crash, timeout and OOM artifacts."
        echo
        echo "| target | execs | exec/s | seconds | crashes | date (UTC) | commit |"
        echo "|---|---:|---:|---:|---:|---|---|"
    } >"$results"
fi

# run_one TARGET: fuzz it, print its row, append the row to the results file.
run_one() {
    local t="$1" runs_flag=()
    [ -x "$bin/$t" ] || { echo "$t: no binary at $bin/$t" >&2; return 1; }
    mkdir -p "corpus/$t" "seeds/$t" "artifacts/$t"
    local before after start end execs secs rate new
    before=$(find "artifacts/$t" -type f | wc -l)
    [ "$runs" -gt 0 ] && runs_flag=(-runs="$runs")
    start=$(date +%s)
    # libFuzzer's timeout handler can deadlock (seen once: parse_hocon sat in a futex wait for
    # an hour after "ALARM: working on the last Unit"), so the whole run is bounded too.
    timeout -k 30 "$((seconds + 300))" nice -n 19 "$bin/$t" "corpus/$t" "seeds/$t" -artifact_prefix="artifacts/$t/" \
        "${runs_flag[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
        -print_final_stats=1 >"logs/$t.log" 2>&1
    end=$(date +%s)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    if [ -z "$execs" ]; then # killed before the final stats: last status line
        execs=$(grep -o '^#[0-9]*' "logs/$t.log" | tail -1 | tr -d '#')
    fi
    execs="${execs:-0}"
    secs=$((end - start))
    rate=$((execs / (secs > 0 ? secs : 1)))
    after=$(find "artifacts/$t" -type f | wc -l)
    new=$((after - before))
    printf '%-16s %12s %9s %7s %8s %s\n' "$t" "$execs" "$rate" "$secs" "$new" \
        "$(find "artifacts/$t" -type f -newermt "@$start" -printf '%f ')"
    # One short write with O_APPEND: rows of parallel jobs never interleave.
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$execs" "$rate" "$secs" "$new" \
        "$(date -u -d "@$start" '+%Y-%m-%d %H:%M')" "$commit" >>"$results"
}

# Stopping the script (Ctrl-C, SIGTERM) stops its fuzzers too.
trap 'trap - INT TERM; kill 0' INT TERM
printf '%-16s %12s %9s %7s %8s %s\n' target execs exec/s seconds crashes artifacts
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
        wait -n
    done
    run_one "$t" &
done
wait
