#!/usr/bin/env bash
# Runs each libFuzzer target of BUILD (a REELQ_FUZZ build; `make fuzz` makes it) for SECONDS, one
# after the other, then prints each one's figures from libFuzzer's own final stats. Exits non-zero
# when a target found a crash, a hang or a sanitizer report, naming the input that did it.
#
#   tests/fuzz/run.sh BUILD SECONDS [TARGET...]     (targets: manifest answer callback)
#
# Each target starts from its seeds (below; the same folders ctest replays, tests/fuzz/fuzz.cmake)
# and from BUILD/fuzz/corpus/TARGET, where the inputs it found in earlier runs are kept.
set -uo pipefail
cd "$(dirname "$0")/../.."

build=${1:?usage: tests/fuzz/run.sh BUILD SECONDS [TARGET...]}
seconds=${2:?usage: tests/fuzz/run.sh BUILD SECONDS [TARGET...]}
shift 2
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(manifest answer callback)

seeds() {
  case $1 in
    manifest) echo tests/fuzz/seeds/manifest tests/manifests/invalid ;;
    *) echo "tests/fuzz/seeds/$1" ;;
  esac
}

# Inputs longer than this are cut: long enough for every seed, short enough to keep runs fast
# (a 100 MB manifest or body is refused by a size check, tested elsewhere, not by parsing).
max_len() {
  case $1 in
    manifest) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

# The key:value figures of one run's log.
stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }

work=$build/fuzz
mkdir -p "$work/tmp"
# The manifest target lays its fixture images out under $TMPDIR: keep that inside the build folder.
export TMPDIR=$PWD/$work/tmp
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:abort_on_error=0:detect_leaks=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-}:print_stacktrace=1:halt_on_error=1

failed=0
summary="$work/summary.txt"
printf '%-9s %11s %8s %16s %10s %6s %9s %s\n' target executions exec/s "corpus (units)" "new units" time "peak RSS" crashes >"$summary"
for t in "${targets[@]}"; do
  bin=$build/fuzz_$t
  [[ -x $bin ]] || { echo "fuzz: $bin not built (make fuzz builds it)" >&2; exit 2; }
  mkdir -p "$work/corpus/$t" "$work/crashes/$t"
  log=$work/$t.log
  echo "fuzz: $t for ${seconds}s (log: $log)"
  start=$(date +%s)
  touch "$work/$t.start"  # crashers of this run are the files newer than it
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GB is a leak or a blow-up.
  # shellcheck disable=SC2046
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
    -print_final_stats=1 -artifact_prefix="$work/crashes/$t/" \
    "$work/corpus/$t" $(seeds "$t") "tests/fuzz/regressions/$t" >"$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))
  new_crashers=$(find "$work/crashes/$t" -type f -newer "$work/$t.start" \( -name 'crash-*' -o -name 'leak-*' \
    -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) | sort)
  crashes=$(printf '%s' "$new_crashers" | grep -c . || true)
  corpus=$(sed -n 's/^#[0-9].* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' "$log" | tail -1)
  printf '%-9s %11s %8s %16s %10s %5ss %6s MB %s\n' "$t" "$(stat "$log" number_of_executed_units)" \
    "$(stat "$log" average_exec_per_sec)" "${corpus:-?}" "$(stat "$log" new_units_added)" "$elapsed" \
    "$(stat "$log" peak_rss_mb)" "$crashes" >>"$summary"
  if [[ $rc -ne 0 ]]; then
    failed=1
    echo "fuzz: $t FAILED (exit $rc); the end of its log:" >&2
    grep -E 'ERROR|SUMMARY|fuzz check failed|Test unit written|deadly signal|timeout' "$log" | head -20 >&2
    for f in $new_crashers; do
      echo "fuzz: crasher $f: replay with $bin $f; keep it as tests/fuzz/regressions/$t/NAME" >&2
    done
  fi
done
echo
cat "$summary"
exit $failed
