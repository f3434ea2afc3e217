#!/usr/bin/env bash
# Runs every benchmark and writes bench/results.md (machine description + tables).
#   bench/run-all.sh            full sizes (several minutes; sets up bench/.venv-baseline if missing)
#   bench/run-all.sh --smoke    tiny sizes, under a minute; writes bench/results/smoke.md instead
#   --no-build                  skip the TypeScript build and the CLI bundle
#   --no-compare                skip the side-by-side with PerQueue + MyQueue
#   --keep-compare              reuse bench/results/compare.txt from an earlier run (it takes the longest)
# Benchmarks never fail on a number; the script fails only when a benchmark could not run.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0 build=1 compare=1 keep=0
for a in "$@"; do
  case "$a" in
    --smoke) smoke=1 ;;
    --no-build) build=0 ;;
    --no-compare) compare=0 ;;
    --keep-compare) keep=1 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
NODE=$(scripts/find-node.sh)
out=bench/results
mkdir -p "$out"
flag=()
[ $smoke = 1 ] && flag=(--smoke)

if [ $build = 1 ]; then
  echo "== build"
  npx tsc -p tsconfig.node.json
  "$NODE" scripts/bundle-bridge.mjs
fi

echo "== engine and store"
"$NODE" build/bench/engine.js "${flag[@]}" --out "$out/engine.json" | tee "$out/engine.txt"

# The file systems the projects live on (bench/fs.sh): this machine's disk as it is, and a fresh
# journaled ext4 when one can be mounted here. Folders are removed only at the very end.
disk=${TMPDIR:-/tmp}
fresh=""
probes=$(mktemp -d "$disk/pq-bench-probes-XXXXXX")
cleanup() {
  rm -rf "$probes"
  if [ -n "$fresh" ]; then bench/fs.sh umount "$fresh"; fi
}
trap cleanup EXIT
mkdir "$probes/disk"
disk_us=$(bench/fs.sh probe "$probes/disk")
if [ $smoke = 0 ]; then
  fresh=$(bench/fs.sh mount "$disk/pq-bench-fs" || true)
fi
fresh_us=""
if [ -n "$fresh" ]; then mkdir "$fresh/probe" && fresh_us=$(bench/fs.sh probe "$fresh/probe"); fi
disk_fs=$(bench/fs.sh describe "$disk")
where_disk="projects on this machine's disk ($disk_fs, ${disk_us} µs per new file)"
where_fresh="projects on a fresh journaled ext4 (${fresh_us} µs per new file)"

echo "== local executor ($where_disk)"
"$NODE" build/bench/local-executor.js "${flag[@]}" --where "$where_disk" --out "$out/local-disk.json" | tee "$out/local-disk.txt"
if [ -n "$fresh" ]; then
  echo "== local executor ($where_fresh)"
  TMPDIR=$fresh "$NODE" build/bench/local-executor.js "${flag[@]}" --where "$where_fresh" --out "$out/local.json" | tee "$out/local.txt"
else
  rm -f "$out/local.txt" "$out/local.json"
fi

echo "== the perqueue import alias on the fork server"
TMPDIR=${fresh:-$disk} "$NODE" build/bench/perqueue-alias.js "${flag[@]}" --out "$out/alias.json" | tee "$out/alias.txt"

compare_note=""
if [ $compare = 1 ] && [ $keep = 1 ] && [ -f "$out/compare.txt" ]; then
  echo "== side by side: kept $out/compare.txt from $(date -u -r "$out/compare.txt" '+%Y-%m-%d %H:%M UTC')"
elif [ $compare = 1 ]; then
  if [ $smoke = 1 ] && [ ! -x bench/.venv-baseline/bin/python ]; then
    compare_note="(skipped in smoke mode: bench/.venv-baseline not set up; run bench/baseline/setup.sh)"
  else
    echo "== PerQueue + MyQueue baseline"
    if bench/baseline/setup.sh > "$out/baseline-setup.txt" 2>&1; then
      cat "$out/baseline-setup.txt"
      echo "== side by side"
      TMPDIR=${fresh:-$disk} bench/.venv-baseline/bin/python bench/compare.py "${flag[@]}" --mq-jobid-workaround --out "$out/compare.json" | tee "$out/compare.txt"
      if [ -n "$fresh" ]; then echo "$where_fresh"; else echo "$where_disk"; fi > "$out/compare-where.txt"
    else
      compare_note="(not run: bench/baseline/setup.sh failed, see bench/results/baseline-setup.txt)"
      tail -5 "$out/baseline-setup.txt"
    fi
  fi
else
  compare_note="(skipped: --no-compare)"
fi

# ------------------------------------------------------------------ results.md
target=bench/results.md
[ $smoke = 1 ] && target=$out/smoke.md
tables() { sed -n '/^## /,$p' "$1"; }
{
  echo "# Benchmark results"
  echo
  [ $smoke = 1 ] && echo "**Smoke sizes: these numbers only show that the benchmarks run.**" && echo
  echo "Written by \`bench/run-all.sh\` on $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- core kernel-bridge 2>/dev/null || echo ' (with local changes to core/ or kernel-bridge/)')."
  echo
  echo "| machine | |"
  echo "| --- | --- |"
  echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') |"
  echo "| cores (nproc) | $(nproc) |"
  echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) |"
  echo "| load average at the end | $(cut -d' ' -f1-3 /proc/loadavg) |"
  echo "| kernel | $(uname -sr) |"
  echo "| Node | $("$NODE" --version) |"
  echo "| Python (tasks) | $(.venv/bin/python --version 2>&1 || python3 --version) |"
  echo "| file systems for the projects | this machine's disk ($disk): $disk_fs, ${disk_us} µs per new file at the start$([ -n "$fresh" ] && echo "; a fresh journaled ext4 (loop image): ${fresh_us} µs per new file") |"
  [ -f "$out/baseline-setup.txt" ] && echo "| baseline packages | $(grep '==' "$out/baseline-setup.txt" | tr '\n' ' ') |"
  echo
  echo "Each figure is the median of several runs with (min–max). Every baseline ran in the same session,"
  echo "interleaved with ours. \"cost ratio\" is ours/baseline for times and baseline/ours for rates: above 1"
  echo "means we pay more than the baseline. Benchmarks are not tests: nothing fails on a number. The"
  echo "machine may be shared; the load average above says how busy it was."
  echo
  tables "$out/engine.txt"
  echo
  echo "## Local executor"
  sed -n '/^| metric/,$p' "$out/local-disk.txt"
  if [ -f "$out/local.txt" ]; then sed -n '/^| --- /,$p' "$out/local.txt" | sed 1d; fi
  echo
  echo "A task makes a few files (run folder, input, pid, logs, marker). This machine's disk is ext4"
  echo "without a journal: after other programs delete many files, each new file costs up to ~1 ms"
  echo "there (the allocator steps over recently freed inodes), so figures on it vary with what ran"
  echo "before. The fresh journaled ext4 is the usual case of a workstation or cluster node (bench/fs.sh)."
  echo
  tables "$out/alias.txt"
  if [ -f "$out/compare.txt" ] && [ -z "$compare_note" ]; then
    tables "$out/compare.txt"
    echo
    echo "Both systems ran with their $(cat "$out/compare-where.txt" 2>/dev/null || echo "projects in $disk")."
    echo
    echo "Every system ran the sizes the comparison asks for, except the 1,000-wide fan-out: PerQueue's local runner"
    echo "starts every ready entry at once (no limit), so it ran 50; through MyQueue it ran 200. The \"× ours\" column"
    echo "compares with our run of the same size. pq+mq ran with \`--mq-jobid-workaround\`:"
    echo "PerQueue 0.3.2's runner needs SLURM_JOBID/PBS_JOBID/LSB_JOBID, which MyQueue's local scheduler does"
    echo "not set, so without it every task fails with LookupError (see bench/compare.py)."
  else
    echo "## Side by side with PerQueue + MyQueue"
    echo
    echo "$compare_note"
  fi
} > "$target"
echo "== wrote $target"
if [ $smoke = 0 ] && [ $compare = 1 ] && [ -z "$compare_note" ]; then
  "$NODE" build/bench/readme-summary.js "$out" README.md
fi
