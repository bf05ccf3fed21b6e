#!/usr/bin/env bash
# Run every fuzz target, one at a time, for MINUTES minutes each (default 5), and print the
# executions and crashes per target. Usage: fuzz/run.sh [MINUTES] [TARGET...]
#
# Each target's working corpus is fuzz/corpus/<target> (not committed); the committed seeds
# in fuzz/seeds/<target> are read as a second corpus. Crashes, timeouts and OOMs land in
# fuzz/artifacts/<target>; the libFuzzer log of the last run is in fuzz/logs/<target>.log.
set -u
cd "$(dirname "$0")"
minutes="${1:-5}"
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
flags=(-s none -a -O)
# Build once, then run the built binaries: editing the crate while the targets run does not
# trigger a rebuild between targets.
cargo +nightly fuzz build "${flags[@]}" >/dev/null || exit 2
bin="target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
mkdir -p logs
printf '%-16s %12s %8s %s\n' target execs crashes artifacts
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t" "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    "$bin/$t" "corpus/$t" "seeds/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')" -rss_limit_mb=2048 -timeout=20 \
        -print_final_stats=1 >"logs/$t.log" 2>&1
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    after=$(ls "artifacts/$t" | wc -l)
    new=$((after - before))
    printf '%-16s %12s %8s %s\n' "$t" "${execs:-?}" "$new" \
        "$(ls -t "artifacts/$t" | head -n "$new" | tr '\n' ' ')"
done
