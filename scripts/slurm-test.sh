#!/usr/bin/env bash
# The Slurm test: `dpl submit` on a real single-node Slurm cluster (scripts/slurm-local.sh) must
# give the single-machine result. It runs a 16-image adaptive evaluation unsharded, then as 4
# array tasks through `dpl submit --wait`, and checks that
#   1. the merged file's `results` equal the unsharded run's, number for number as written;
#   2. the merge job's `dpl verify` reproduced every result;
#   3. with shard 3 cancelled by `scancel` midway, a second `dpl submit` runs only shard 3
#      (which resumes from its attack journal) and the merge again equals the unsharded run.
# Skips, saying why, only when this machine cannot run the Slurm daemons. Ends with
# "N passed, N failed"; exits 1 when a check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SCRATCH="${DPL_SCRATCH_PATH:-.build}"
T0=$(date +%s)
passed=0
failed=0

say() { printf 'slurm-test: %s\n' "$*"; }
pass() { passed=$((passed + 1)); say "PASS $*"; }
fail() { failed=$((failed + 1)); say "FAIL $*"; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }
finish() { say "wall time $(elapsed "$T0")"; echo "$passed passed, $failed failed"; exit $(( failed > 0 ? 1 : 0 )); }

# MARK: - The cluster

export DPL_SLURM_DIR="${DPL_SLURM_DIR:-${TMPDIR:-/tmp}/dpl-slurm}"
export SLURM_CONF="$DPL_SLURM_DIR/slurm.conf"
already_running=false
if bash scripts/slurm-local.sh status 2>/dev/null | grep -q "slurmctld running"; then already_running=true; fi
bash scripts/slurm-local.sh start
status=$?
if (( status == 3 )); then
    say "skipped: this machine cannot run the Slurm daemons (see the reason above)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
elif (( status != 0 )); then
    fail "scripts/slurm-local.sh start (exit $status)"
    finish
fi
# Leave a cluster someone else started running; stop the one this test started.
$already_running || trap 'bash scripts/slurm-local.sh stop >/dev/null' EXIT

# MARK: - The evaluation

DPL="$REPO/$SCRATCH/release/dpl"
[[ "$SCRATCH" = /* ]] && DPL="$SCRATCH/release/dpl"
# `swift test -c release` (scripts/test.sh, run first in CI) already built dpl; building again
# without its testing flags would recompile every module, so build only when dpl is stale.
if [[ ! -x "$DPL" || -n "$(find Sources Package.swift -newer "$DPL" -print -quit)" ]]; then
    say "building dpl"
    nice -n 19 swift build -c release --scratch-path "$SCRATCH" --product dpl >/dev/null || { fail "swift build --product dpl"; finish; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dpl-slurm-test.XXXXXX")
# 16 images in 8 batches of 2: each of the 4 shards has 2 batches, so a shard cancelled after its
# first batch has a journal to resume from.
for run in whole sharded cancelled; do
    mkdir -p "$WORK/$run"
    cat >"$WORK/$run/eval.dpl" <<'EOF'
# PGD through a fixed-noise DDIM purification, 16 Fashion-MNIST test images in batches of 2.
set batch = 2
load fashion-mnist split=test n=16 | attack pgd eps=8/255 steps=10 | purify t=100 sampler=ddim steps=8 seed=fixed | classify | save "results.json"
EOF
done

# The same numbers as written, and the same keys in the same order.
same_results() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
def results(path):
    with open(path) as f:
        return json.load(f, parse_float=str, parse_int=str, object_pairs_hook=list)
a, b = (dict(results(p)).get("results") for p in sys.argv[1:3])
sys.exit(0 if a is not None and a == b else 1)
EOF
}

t=$(date +%s)
say "unsharded: dpl run eval.dpl --set threads=1"
nice -n 19 "$DPL" run "$WORK/whole/eval.dpl" --set threads=1 2>&1 | grep -v '^attack ' | sed 's/^/  /'
say "unsharded run took $(elapsed "$t")"
[[ -f "$WORK/whole/results.json" ]] || { fail "the unsharded run wrote no results.json"; finish; }

# MARK: - 4 shards through dpl submit

t=$(date +%s)
say "dpl submit eval.dpl --slurm --shards 4 --time 10 --wait"
(cd "$WORK/sharded" && "$DPL" submit eval.dpl --slurm --shards 4 --time 10 --wait) >"$WORK/submit-1.txt" 2>&1 &
submitter=$!
sleep 3
say "squeue while it runs:"
squeue --name=dpl-eval-4 | sed 's/^/  /'
wait "$submitter"
submitted=$?
sed 's/^/  /' "$WORK/submit-1.txt"
say "sharded run (4 shards, merge and verify) took $(elapsed "$t")"
if (( submitted == 0 )); then pass "dpl submit --wait: every shard completed, merged and verified"; else fail "dpl submit --wait exited $submitted"; fi
if [[ -f "$WORK/sharded/results.json" ]] && same_results "$WORK/whole/results.json" "$WORK/sharded/results.json"; then
    pass "merged results equal the unsharded run's"
else
    fail "merged results differ from the unsharded run's (or were not written)"
fi
if grep -q "identical" "$WORK"/sharded/slurm/eval-4-*-merge.log && ! grep -q "different" "$WORK"/sharded/slurm/eval-4-*-merge.log; then
    pass "dpl verify in the merge job reproduced every result"
else
    fail "dpl verify did not report the merged results identical"
fi

# MARK: - A shard cancelled midway, then resubmitted

t=$(date +%s)
say "dpl submit eval.dpl --slurm --shards 4 --time 10 --wait, in a fresh folder; cancelling shard 3 after its first batch"
(cd "$WORK/cancelled" && "$DPL" submit eval.dpl --slurm --shards 4 --time 10 --wait) >"$WORK/submit-cancel.txt" 2>&1 &
submitter=$!
job=""
for _ in $(seq 1 100); do
    job=$(sed -n 's/.*as array job \([0-9]*\).*/\1/p' "$WORK/submit-cancel.txt")
    [[ -n "$job" ]] && break
    sleep 0.2
done
log3="$WORK/cancelled/slurm/eval-4-$job-shard-3.log"
cancelled=false
for _ in $(seq 1 600); do
    [[ -n "$job" ]] || break
    if [[ -f "$log3" ]] && grep -q "attack pgd: 50%" "$log3"; then
        say "scancel ${job}_3 (its log is at: $(grep 'attack pgd' "$log3" | tail -n1))"
        scancel "${job}_3" && cancelled=true
        break
    fi
    if [[ -f "$WORK/cancelled/results.shard-3-of-4.json" ]]; then break; fi
    sleep 0.2
done
$cancelled || fail "shard 3 finished or never started before it could be cancelled"
wait "$submitter"
waited=$?
sed 's/^/  /' "$WORK/submit-cancel.txt"
scontrol show job "$job" 2>/dev/null | grep -E 'ArrayTaskId|JobState' | paste - - | sed 's/^ */  /'
if (( waited != 0 )) && grep -q "^shard 3 of 4: CANCELLED" "$WORK/submit-cancel.txt" \
    && grep -q "^merge job [0-9]*: CANCELLED (DependencyNeverSatisfied)" "$WORK/submit-cancel.txt"; then
    pass "dpl submit --wait reported shard 3 cancelled and the merge never run (exit $waited)"
else
    fail "dpl submit --wait (exit $waited) did not report shard 3 cancelled and the merge not run"
fi
present=$(cd "$WORK/cancelled" && ls results.shard-*-of-4.json 2>/dev/null | tr '\n' ' ')
say "shard files after the cancel: ${present:-none}"
if $cancelled && [[ ! -f "$WORK/cancelled/results.shard-3-of-4.json" && ! -f "$WORK/cancelled/results.json" ]]; then
    pass "the cancelled shard left no result and nothing was merged"
else
    fail "after scancel, shard 3's file or a merged file exists"
fi
say "dpl submit eval.dpl --slurm --shards 4 --time 10 --wait (again)"
(cd "$WORK/cancelled" && "$DPL" submit eval.dpl --slurm --shards 4 --time 10 --wait) >"$WORK/submit-2.txt" 2>&1
resubmitted=$?
sed 's/^/  /' "$WORK/submit-2.txt"
if (( resubmitted == 0 )) && grep -q "submitting only shard 3$" "$WORK/submit-2.txt"; then
    pass "resubmission ran only shard 3, then merged and verified"
else
    fail "resubmission (exit $resubmitted) did not run just shard 3 to a verified merge"
fi
# The journal is written before the progress line the cancel waited for, so this is certain.
if grep -h "resuming attack pgd from batch 2/2" "$WORK"/cancelled/slurm/eval-4-*-shard-3.log | sed 's/^/  shard 3: /' | grep .; then
    pass "the resubmitted shard 3 resumed from its attack journal"
else
    fail "the resubmitted shard 3 did not resume from batch 2/2 of its attack journal"
fi
if [[ -f "$WORK/cancelled/results.json" ]] && same_results "$WORK/whole/results.json" "$WORK/cancelled/results.json"; then
    pass "merged results after the cancel and resubmission equal the unsharded run's"
else
    fail "merged results after the cancel differ from the unsharded run's (or were not written)"
fi
say "cancel and resubmit took $(elapsed "$t")"
# The files are kept when something failed, to look at.
if (( failed == 0 )); then rm -rf "$WORK"; else say "files kept in $WORK"; fi
finish
