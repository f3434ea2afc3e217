#!/usr/bin/env bash
# Where benchmark projects live, and what a file creation costs there.
#   bench/fs.sh mount DIR     make a fresh journaled ext4 (4 GiB sparse image under /var/tmp) and
#                             mount it at DIR; prints DIR, or nothing when this machine cannot
#                             (not root, no mkfs.ext4, no loop device)
#   bench/fs.sh umount DIR    unmount it and remove the image
#   bench/fs.sh probe DIR     microseconds per new file (1,000 folders, each with one file) made
#                             in DIR, which must be empty; the caller removes it at its very end
#   bench/fs.sh describe DIR  the file system DIR is on, e.g. "ext4 without a journal"
#
# Why: our tasks create a handful of files each (run folder, input, pid, logs, marker), so the
# file system's cost per creation shows in every figure. This machine's disk is ext4 without a
# journal, where the allocator skips every inode freed in the last minutes one by one: after
# a test run or benchmark deleted thousands of files, a creation costs 0.2-1 ms instead of
# ~20 us, and results depend on what ran before. A fresh, journaled ext4 - the usual disk of a
# workstation or cluster node - gives figures that repeat; run-all.sh reports both.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: bench/fs.sh mount|umount|probe|describe DIR" >&2; exit 2; }
img=/var/tmp/pq-bench-fs.img
case "$cmd" in
  mount)
    [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null || exit 0
    mkdir -p "$dir"
    mountpoint -q "$dir" && umount "$dir"
    rm -f "$img"
    truncate -s 4G "$img"
    mkfs.ext4 -q -F "$img" >/dev/null 2>&1 || { rm -f "$img"; exit 0; }
    mount -o loop "$img" "$dir" 2>/dev/null || { rm -f "$img"; exit 0; }
    chmod 1777 "$dir"
    echo "$dir"
    ;;
  umount)
    mountpoint -q "$dir" && umount "$dir"
    rm -f "$img"
    rmdir "$dir" 2>/dev/null || true
    ;;
  describe)
    src=$(findmnt -no SOURCE -T "$dir" 2>/dev/null || true)
    type=$(findmnt -no FSTYPE -T "$dir" 2>/dev/null || echo '?')
    journal=""
    # A journaled ext3/ext4 has a jbd2 entry named after its device.
    if [ "${type#ext}" != "$type" ] && [ -d /proc/fs/jbd2 ]; then
      if ls -d "/proc/fs/jbd2/$(basename "$src")"-* >/dev/null 2>&1; then journal=" with a journal"; else journal=" without a journal"; fi
    fi
    echo "$type$journal"
    ;;
  probe)
    d=$dir
    python3 - "$d" <<'PY'
import os, sys, time
d = sys.argv[1]
t = time.perf_counter()
for i in range(1000):
    os.mkdir(f"{d}/{i}")
    with open(f"{d}/{i}/f", "w") as f:
        f.write("x")
print(f"{(time.perf_counter() - t) / 2000 * 1e6:.0f}")
PY
    ;;
  *) echo "usage: bench/fs.sh mount|umount|probe|describe DIR" >&2; exit 2 ;;
esac
