#!/usr/bin/env bash
# `make test-slurm`: prove workflow/profiles/slurm on a real Slurm scheduler.
#
# Starts a one-node Slurm cluster on this machine (Debian's slurm-wlm + munge, installed with
# apt-get when sbatch is missing; daemons and state in a temporary folder under /tmp), then:
#   1. runs a two-process torchrun (gloo) DDP step (tests/helpers/ddp_probe.py) as a Slurm job and checks
#      its gradients against one process;
#   2. runs the CI config (.test/config.yaml) through the SLURM profile, scancels a running
#      train_stage job (and the profile's retry of it), and checks that Snakemake fails;
#   3. reruns the same command, checks that it completes, then that a third run has nothing to do;
#   4. checks that every job went through sbatch with the profile's mem_mb, runtime and threads.
# The daemons are stopped on exit, pass or fail, and a summary table is printed.
# Needs root (apt-get, the daemons, /etc/slurm/slurm.conf). Exit status 0 only when every check
# passed; 2 when the test could not run at all (it never skips silently).
# SLURM_TEST_KEEP=1 keeps the temporary folder (logs, jobcomp.txt, workdir) after a pass too;
# SLURM_TEST_PORT (16817; slurmd gets the next port) and SLURM_TEST_DDP_PORT (29571) move ports.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-.venv}
[[ $VENV = /* ]] || VENV=$REPO/$VENV
PY=$VENV/bin/python
PROFILE=$REPO/workflow/profiles/slurm
PARTITION=${SLURM_TEST_PARTITION:-vidcorr}
CTLD_PORT=${SLURM_TEST_PORT:-16817}
DDP_PORT=${SLURM_TEST_DDP_PORT:-29571}
SYSTEM_CONF=/etc/slurm/slurm.conf  # srun inside a job reads this: the jobstep plugin drops SLURM_CONF

STATE=""        # temporary folder: slurm.conf, munge key and socket, daemon state, logs, workdir
CUR=""          # the running check (FAIL in the summary if the script exits during it)
T0=0
SMK_PID=""
CLUSTER_UP=0
NOT_RUN=0
RESULTS=()
START=$SECONDS

log() { printf '[test-slurm %s] %s\n' "$(date +%T)" "$*"; }

not_run() {  # the test cannot run here: say so loudly, never skip silently
    {
        echo
        echo "########################################################################"
        echo "##"
        echo "##  THE SLURM TEST DID NOT RUN: the cluster path is NOT verified."
        echo "##"
        for line in "$@"; do echo "##  $line"; done
        echo "##"
        echo "########################################################################"
        echo
    } >&2
    NOT_RUN=1
    exit 2
}

fail() { echo "test-slurm: FAILED: $*" >&2; exit 1; }

begin() { CUR=$1; T0=$SECONDS; log "--- $CUR"; }
pass() { RESULTS+=("PASS|$CUR|$((SECONDS - T0))"); CUR=""; }

# ---------------------------------------------------------------------------------------------
install_slurm() {
    begin "Slurm 22.05 + munge installed (apt-get)"
    local tools=(sbatch srun squeue scancel sinfo scontrol slurmctld slurmd munged)
    local missing=() t
    for t in "${tools[@]}"; do command -v "$t" > /dev/null || missing+=("$t"); done
    if ((${#missing[@]})); then
        [[ $(id -u) -eq 0 ]] || not_run "Slurm is not installed (missing: ${missing[*]}) and this is not root (uid $(id -u))," \
            "so it cannot be installed. As root: apt-get install slurm-wlm slurmctld slurmd slurm-client munge"
        command -v apt-get > /dev/null || not_run "Slurm is not installed (missing: ${missing[*]}) and there is no apt-get here." \
            "This script needs a Debian-like machine (tested on Debian 12, Slurm 22.05)."
        local pkgs=(slurm-wlm slurmctld slurmd slurm-client munge) aptlog=/tmp/test-slurm-apt.$$.log
        log "installing ${pkgs[*]} with apt-get (log: $aptlog)"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" > "$aptlog" 2>&1; then
            log "apt-get install failed; running apt-get update and trying again"
            if ! { apt-get update > "$aptlog" 2>&1 &&
                   DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" >> "$aptlog" 2>&1; }; then
                local tail_lines
                mapfile -t tail_lines < <(tail -n 8 "$aptlog")
                not_run "apt-get could not install ${pkgs[*]} (no network or no such packages?)." \
                    "Last lines of $aptlog:" "${tail_lines[@]}"
            fi
        fi
        for t in "${tools[@]}"; do
            command -v "$t" > /dev/null || not_run "apt-get ran but '$t' is still missing (see $aptlog)."
        done
    fi
    log "$(slurmctld -V), $(munged --version 2>&1 | head -n 1)"  # sbatch -V needs a slurm.conf
    pass
}

install_plugin() {
    # The project's `slurm` extra (pyproject.toml), installed by its requirement strings rather
    # than `pip install -e '.[slurm]'`: same packages, without reinstalling the editable vidcorr
    # (whose entry point other runs in the same venv may be using). pip does nothing when met.
    begin "snakemake-executor-plugin-slurm installed (slurm extra)"
    [[ -x $PY ]] || not_run "no virtualenv at $VENV (run 'make install' first, or set VENV)."
    local reqs
    mapfile -t reqs < <("$PY" -c 'import sys, tomllib
for r in tomllib.load(open(sys.argv[1], "rb"))["project"]["optional-dependencies"]["slurm"]: print(r)' "$REPO/pyproject.toml")
    if ! "$PY" -m pip install --quiet --disable-pip-version-check "${reqs[@]}"; then
        not_run "pip could not install the slurm extra (${reqs[*]}) into $VENV."
    fi
    log "$("$PY" -m pip list --disable-pip-version-check 2>/dev/null | grep -E '^snakemake(-executor-plugin-slurm)? ' | tr -s ' ' | paste -sd ',')"
    pass
}

# ---------------------------------------------------------------------------------------------
start_cluster() {
    begin "one-node cluster up (munged, slurmctld, slurmd; node idle)"
    if [[ -e $SYSTEM_CONF || -L $SYSTEM_CONF ]]; then
        local target
        target=$(readlink "$SYSTEM_CONF" || true)
        if [[ $target == /tmp/vidcorr-slurm.*/slurm.conf && ! -e $target ]]; then
            rm -f "$SYSTEM_CONF"  # left by a run that was killed before its cleanup
        else
            not_run "$SYSTEM_CONF exists: this machine already has a Slurm configuration." \
                "This test starts its own one-node cluster and will not replace it."
        fi
    fi
    STATE=$(mktemp -d /tmp/vidcorr-slurm.XXXXXX)
    chmod 755 "$STATE"  # munged wants every folder above its socket to be searchable
    mkdir -p "$STATE"/{munge-key,munge,ctld,spool,log,work}
    chmod 700 "$STATE/munge-key"
    head -c 1024 /dev/urandom > "$STATE/munge-key/munge.key"
    chmod 400 "$STATE/munge-key/munge.key"
    munged --key-file="$STATE/munge-key/munge.key" --seed-file="$STATE/munge-key/munged.seed" \
        --socket="$STATE/munge/munge.socket.2" --pid-file="$STATE/munge/munged.pid" \
        --log-file="$STATE/log/munged.log"

    local node hw
    node=$(hostname -s)
    # This machine as slurmd sees it: NodeName=<host> CPUs=.. Boards=.. ... RealMemory=..
    hw=$(slurmd -C | head -n 1)
    [[ $hw == "NodeName=$node "* ]] || fail "slurmd -C gave '$hw', expected NodeName=$node"
    NODE_CPUS=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<< "$hw")
    NODE_MEM=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<< "$hw")
    cat > "$STATE/slurm.conf" <<EOF
# One-node test cluster written by scripts/test_slurm.sh
ClusterName=vidcorrtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$((CTLD_PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$STATE/munge/munge.socket.2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
MpiDefault=none
# No cgroups in a container: track processes through /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
KillWait=5
# No slurmdbd: plain sacct answers "Slurm accounting storage is disabled". Finished jobs are
# recorded by jobcomp/filetxt instead (JobId, JobState, TimeLimit, allocated cpu and mem), and
# squeue keeps them for MinJobAge seconds, which the executor plugin's squeue status check needs.
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/jobcomp.txt
MinJobAge=7200
$hw NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$STATE/slurm.conf
    mkdir -p "$(dirname "$SYSTEM_CONF")"
    ln -s "$STATE/slurm.conf" "$SYSTEM_CONF"
    CLUSTER_UP=1
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF"
    local _ state=""
    for _ in $(seq 60); do
        state=$(sinfo -h -p "$PARTITION" -n "$node" -o %t 2> /dev/null || true)
        [[ $state == idle ]] && break
        sleep 1
    done
    if [[ $state != idle ]]; then
        tail -n 20 "$STATE"/log/*.log >&2 || true
        fail "node $node is '$state', not idle, after 60 s"
    fi
    sinfo -N -l
    log "cluster state in $STATE; node $node: $NODE_CPUS CPUs, $NODE_MEM MB, partition $PARTITION"
    pass
}

stop_cluster() {
    if [[ -n $SMK_PID ]] && kill -0 "$SMK_PID" 2> /dev/null; then
        kill "$SMK_PID" 2> /dev/null || true
        wait "$SMK_PID" 2> /dev/null || true
    fi
    SMK_PID=""
    ((CLUSTER_UP)) || return 0
    scancel -p "$PARTITION" 2> /dev/null || true
    local _
    for _ in $(seq 30); do
        [[ -z $(squeue -h -p "$PARTITION" -t PENDING,RUNNING,COMPLETING -o %i 2> /dev/null) ]] && break
        sleep 1
    done
    local pidfile pid
    for pidfile in "$STATE/slurmd.pid" "$STATE/slurmctld.pid" "$STATE/munge/munged.pid"; do
        [[ -s $pidfile ]] || continue
        pid=$(cat "$pidfile")
        kill "$pid" 2> /dev/null || continue
        for _ in $(seq 30); do kill -0 "$pid" 2> /dev/null || break; sleep 0.5; done
        if kill -0 "$pid" 2> /dev/null; then kill -9 "$pid" 2> /dev/null || true; fi
    done
    if [[ $(readlink "$SYSTEM_CONF" 2> /dev/null) == "$STATE/slurm.conf" ]]; then rm -f "$SYSTEM_CONF"; fi
    CLUSTER_UP=0
}

# A job's record in jobcomp/filetxt, written by slurmctld when the job ends (waits up to 30 s).
jobcomp_line() {
    local _
    for _ in $(seq 30); do
        grep -m 1 "^JobId=$1 " "$STATE/jobcomp.txt" 2> /dev/null && return 0
        sleep 1
    done
    return 1
}
jobcomp_state() { jobcomp_line "$1" | sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p'; }
jobcomp_summary() { jobcomp_line "$1" | grep -o 'JobState=[^ ]*\|TimeLimit=[^ ]*\|Tres=[^ ]*' | paste -sd ' '; }

# ---------------------------------------------------------------------------------------------
check_ddp() {
    begin "torchrun 2 procs (gloo) as a Slurm job = 1 process"
    local out=$STATE/work/ddp.pt jobid
    jobid=$(sbatch --parsable --wait -p "$PARTITION" -J ddp-probe --ntasks=1 --cpus-per-task=2 --mem=4000 -t 10 \
        -D "$STATE/work" -o "$STATE/log/ddp-%j.out" \
        --wrap "'$PY' -m torch.distributed.run --nproc_per_node 2 --master_port $DDP_PORT '$REPO/tests/helpers/ddp_probe.py' '$out'") ||
        { cat "$STATE"/log/ddp-*.out >&2 || true; fail "the torchrun job failed"; }
    local state
    state=$(jobcomp_state "$jobid")
    [[ $state == COMPLETED ]] || fail "torchrun job $jobid ended $state"
    [[ $(jobcomp_line "$jobid") == *" Tres=cpu=2,"* ]] || fail "torchrun job $jobid did not get 2 CPUs"
    # The reference: the same global batch in one process, as in
    # tests/train/test_training.py::test_ddp_with_two_gloo_processes_matches_one_process.
    (cd "$REPO/tests/helpers" && "$PY" -c 'import sys; from ddp_probe import check_against_one_process as c; print(c(sys.argv[1]))' "$out"
    ) || fail "the 2-process gradients differ from the 1-process ones"
    log "Slurm job $jobid: $(jobcomp_summary "$jobid")"
    pass
}

# ---------------------------------------------------------------------------------------------
# The profile's mappings with the values this one node cannot give capped to it. On the command
# line --default-resources, --set-resources and --set-threads replace the profile's mapping as a
# whole, so each is passed in full: the profile's entries, with a few values changed.
profile_args() {
    "$PY" - "$PROFILE/config.yaml" "$PARTITION" "$NODE_CPUS" "$NODE_MEM" "$STATE" <<'EOF'
import json, sys
import yaml

path, partition, cpus, mem, state = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
profile = yaml.safe_load(open(path))
gpus = 0  # this test node has no GPU
default = dict(profile.get("default-resources") or {}, slurm_partition=partition)
resources, changed = {}, []
for rule, res in (profile.get("set-resources") or {}).items():
    res = dict(res)
    if res.get("mem_mb", 0) > mem:
        changed.append(f"{rule}:mem_mb={res['mem_mb']} -> {mem}")
        res["mem_mb"] = mem
    if res.get("gpu", 0) > gpus:
        changed.append(f"{rule}:gpu={res['gpu']} -> {gpus}")
        res["gpu"] = gpus
    resources[rule] = res
# train_stage's gpu and cpus_per_task come from its rule (the stage's devices: 1 GPU, 8 CPUs in this
# config): capped to this node like the profile's values.
stage = resources.setdefault("train_stage", {})
stage["gpu"], stage["cpus_per_task"] = gpus, min(8, cpus)
changed.append(f"train_stage:gpu=devices -> {gpus}, cpus_per_task=8 x devices -> {min(8, cpus)}")
threads = {}
for rule, n in (profile.get("set-threads") or {}).items():
    if n > cpus:
        changed.append(f"{rule}:threads={n} -> {cpus}")
    threads[rule] = min(n, cpus)
with open(f"{state}/default_resources.args", "w") as f:
    f.writelines(f"{k}={v}\n" for k, v in default.items())
with open(f"{state}/set_resources.args", "w") as f:
    f.writelines(f"{r}:{k}={v}\n" for r, res in resources.items() for k, v in res.items())
with open(f"{state}/set_threads.args", "w") as f:
    f.writelines(f"{r}={n}\n" for r, n in threads.items())
json.dump({"default": default, "resources": resources, "threads": threads}, open(f"{state}/expected.json", "w"))
print("changed for this node: " + ", ".join(changed))
EOF
}

smk() {  # the CI config through the SLURM profile, in the temporary workdir
    (cd "$STATE/work" && PATH="$VENV/bin:$PATH" exec "$VENV/bin/snakemake" -s "$REPO/Snakefile" --directory "$STATE/work" \
        --workflow-profile "$PROFILE" --configfile "$REPO/.test/config.yaml" \
        --default-resources "${DEFAULT_RES[@]}" --set-resources "${SET_RES[@]}" --set-threads "${SET_THREADS[@]}" \
        --slurm-status-command squeue --slurm-init-seconds-before-status-checks 5 "$@")
}

# Wait for a job of ours in one of the given states whose comment (the plugin writes
# rule_<rule>_wildcards_<wildcards>) starts with a prefix, other than the job ids in $4;
# prints "<id>|<comment>".
wait_for_job() {
    local states=$1 prefix=$2 timeout=$3 skip=${4:-} t line
    for ((t = 0; t < timeout; t += 2)); do
        line=$(squeue -h -p "$PARTITION" -t "$states" -o '%i|%k' | awk -F'|' -v p="$prefix" -v s=" $skip " \
            'index($2, p) == 1 && index(s, " " $1 " ") == 0 {print; exit}')
        [[ -n $line ]] && { echo "$line"; return 0; }
        kill -0 "$SMK_PID" 2> /dev/null || return 1
        sleep 2
    done
    return 1
}

check_scancel() {
    begin "workflow via sbatch; scancel of a running train_stage fails it"
    mapfile -t DEFAULT_RES < "$STATE/default_resources.args"
    mapfile -t SET_RES < "$STATE/set_resources.args"
    mapfile -t SET_THREADS < "$STATE/set_threads.args"
    local run1=$STATE/log/run1.log
    log "snakemake run 1 (log: $run1)"
    smk > "$run1" 2>&1 &
    SMK_PID=$!
    local first second id1="" id2 comment skip="" _ rc=0
    for _ in 1 2 3 4 5; do
        first=$(wait_for_job RUNNING rule_train_stage_ 3600 "$skip") ||
            { tail -n 30 "$run1" >&2; fail "no train_stage job ran (snakemake run 1 ended or timed out)"; }
        id1=${first%%|*}
        comment=${first#*|}
        sleep 2
        log "scancel $id1 ($comment), seen RUNNING"
        scancel "$id1"
        [[ $(jobcomp_state "$id1") == CANCELLED ]] && break
        log "job $id1 ended $(jobcomp_state "$id1") before the scancel reached it; trying the next train_stage job"
        skip+=" $id1"
        id1=""
    done
    [[ -n $id1 ]] || fail "no running train_stage job could be cancelled in 5 tries"
    # The profile's retries: 1 resubmits the job; cancel that attempt too, so the run fails.
    second=$(wait_for_job PENDING,RUNNING "$comment" 900 "$skip $id1") ||
        { tail -n 30 "$run1" >&2; fail "Snakemake did not resubmit the cancelled job $id1 (retries: 1)"; }
    id2=${second%%|*}
    log "retry submitted as $id2; scancel $id2"
    scancel "$id2"
    wait "$SMK_PID" || rc=$?
    SMK_PID=""
    log "snakemake run 1 exited with status $rc"
    ((rc != 0)) || fail "snakemake exited 0 although both attempts of $comment were cancelled"
    local id
    for id in "$id1" "$id2"; do
        [[ $(jobcomp_state "$id") == CANCELLED ]] || fail "Slurm recorded job $id as '$(jobcomp_state "$id")', not CANCELLED"
        grep -q "SLURM-job '$id' failed, SLURM status is: 'CANCELLED'" "$run1" ||
            fail "snakemake's log does not report job $id as failed and CANCELLED"
    done
    grep -q "Error in rule train_stage" "$run1" || fail "snakemake's log has no 'Error in rule train_stage'"
    grep -E "SLURM-job '($id1|$id2)' failed|Error in rule train_stage|Exiting because a job execution failed" "$run1" | sed 's/^/    /'
    pass
}

check_rerun() {
    begin "rerun of the same command completes the CI targets"
    local run2=$STATE/log/run2.log run3=$STATE/log/run3.log
    log "snakemake run 2 (log: $run2)"
    smk > "$run2" 2>&1 || { tail -n 40 "$run2" >&2; fail "snakemake run 2 failed"; }
    local w=$STATE/work f
    for f in results/ablation.csv results/metrics/summary.csv results/learning_curve.csv results/figures/metrics.png \
        results/flow/demo_clips/index.json results/figures/flow/demo_clips.png results/flow/synthetic/epe.csv \
        results/tables/liir-5a.md results/tables/mer-5B.md results/figures/overlays/lab/synthetic.png; do
        [[ -s $w/$f ]] || fail "$f is missing after run 2"
    done
    local n
    n=$(find "$w/results/train" -name final.pt | wc -l)
    ((n == 6)) || fail "$n training stages have a final.pt, expected 6"
    log "ablation.csv has $(($(wc -l < "$w/results/ablation.csv") - 1)) rows; 6 stages trained"
    smk -n > "$run3" 2>&1 || fail "snakemake dry run 3 failed"
    grep -q "Nothing to be done" "$run3" || fail "a third run would still do something (see $run3)"
    pass
}

check_jobs() {
    begin "every job went through sbatch with the requested resources"
    "$PY" - "$STATE" "$REPO/workflow/rules" <<'EOF'
import glob, json, re, sys
from pathlib import Path

state, rules_dir = Path(sys.argv[1]), sys.argv[2]
expected = json.load(open(state / "expected.json"))
# Each rule's own threads (a rule the profile's set-threads does not name keeps them).
rule_threads = {}
for path in glob.glob(f"{rules_dir}/*.smk"):
    for m in re.finditer(r"^(?:rule|checkpoint) (\w+):(.*?)(?=^(?:rule|checkpoint) |\Z)", open(path).read(), re.S | re.M):
        t = re.search(r"^\s+threads:\s*(\d+)", m.group(2), re.M)
        rule_threads[m.group(1)] = int(t.group(1)) if t else 1

def mb(value):  # Slurm's TRES memory: 4000M, 2G, 1.50T
    num, unit = re.fullmatch(r"([\d.]+)([MGT])", value).groups()
    return round(float(num) * {"M": 1, "G": 1024, "T": 1024 ** 2}[unit])

slurm = {}
for line in open(state / "jobcomp.txt"):
    f = dict(re.findall(r"(\w+)=(\S*)", line))
    tres = dict(kv.split("=") for kv in f["Tres"].split(","))
    slurm[f["JobId"]] = {"state": f["JobState"], "minutes": int(f["TimeLimit"]), "cpus": int(tres["cpu"]),
                         "mem_mb": mb(tres["mem"])}

submitted, planned, problems, all_jobs = [], set(), [], []
for run in ("run1", "run2"):
    text = open(state / f"log/{run}.log").read()
    jobs = {}
    for block in re.split(r"\n(?=\[[^\]]+\]\n)", text):
        m = re.search(r"^(?:local)?(?:rule|checkpoint) (\w+):\n(.*)", block, re.S | re.M)
        if not m:
            continue
        body = m.group(2)
        jobid = re.search(r"^\s+jobid: (\d+)", body, re.M)
        if not jobid:
            continue
        res = re.search(r"^\s+resources: (.*)$", body, re.M)
        thr = re.search(r"^\s+threads: (\d+)", body, re.M)
        jobs[jobid.group(1)] = {"rule": m.group(1), "local": block.lstrip().split("\n", 1)[1].startswith("local"),
                                "threads": int(thr.group(1)) if thr else 1,
                                "resources": dict(re.findall(r"(\w+)=([^,]+)", res.group(1))) if res else {}}
    for table in re.findall(r"^job\s+count\n-+\s+-+\n(.*?)^total", text, re.S | re.M):
        planned |= {line.split()[0] for line in table.strip().splitlines()}
    for sjob, slurm_id in re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", text):
        submitted.append((run, slurm_id, jobs[sjob]))
    all_jobs += jobs.values()

rules_seen = {}
for run, slurm_id, job in submitted:
    rule = job["rule"]
    got = slurm.get(slurm_id)
    if got is None:
        problems.append(f"{run}: Slurm has no record of job {slurm_id} ({rule})")
        continue
    res = expected["resources"].get(rule, {})
    want = {"mem_mb": int(res.get("mem_mb", job["resources"]["mem_mb"])),
            "minutes": int(res.get("runtime", job["resources"]["runtime"])),
            "cpus": expected["threads"].get(rule, rule_threads[rule])}
    # what Snakemake asked for agrees with the profile ...
    asked = {"mem_mb": int(job["resources"]["mem_mb"]), "minutes": int(job["resources"]["runtime"]), "cpus": job["threads"]}
    # ... and what Slurm gave agrees with both
    gave = {k: got[k] for k in want}
    if asked != want or gave != want:
        problems.append(f"{run}: job {slurm_id} ({rule}): profile {want}, Snakemake asked {asked}, Slurm gave {gave}")
    rules_seen.setdefault(rule, set()).add(tuple(sorted(gave.items())) + (("state", got["state"]),))
    if got["state"] not in ("COMPLETED", "CANCELLED"):
        problems.append(f"{run}: job {slurm_id} ({rule}) ended {got['state']}")

# the target rule has no action, and the Snakefile's localrules run where Snakemake runs
local = {"all"} | {j["rule"] for j in all_jobs if j["local"]}
if not planned - local:
    problems.append("found no job table in the Snakemake logs")
missing = planned - local - set(rules_seen)
if missing:
    problems.append(f"rules planned but never submitted to Slurm: {sorted(missing)}")
unused = set(expected["resources"]) - set(rules_seen)
print(f"{len(submitted)} Snakemake jobs went through sbatch: {len(rules_seen)} rules, among them all "
      f"{len(planned - local)} of Snakemake's job tables but the local ones ({', '.join(sorted(local))}). "
      "Slurm's records:")
print(f"    {'rule':<26}{'jobs':>5}  cpus  mem_mb  minutes  states")
for rule in sorted(rules_seen):
    entries = [dict(e) for e in rules_seen[rule]]
    n = sum(1 for _, _, j in submitted if j["rule"] == rule)
    shapes = sorted({(e["cpus"], e["mem_mb"], e["minutes"]) for e in entries})
    states = sorted({e["state"] for e in entries})
    for c, m, t in shapes:
        print(f"    {rule:<26}{n:>5}  {c:>4}  {m:>6}  {t:>7}  {','.join(states)}")
if unused:
    print(f"profile entries for rules this config does not run: {sorted(unused)}")
if problems:
    print("\n".join(["PROBLEMS:"] + problems), file=sys.stderr)
    sys.exit(1)
EOF
    pass
}

# ---------------------------------------------------------------------------------------------
finish() {
    local rc=$?
    [[ -n $CUR ]] && RESULTS+=("$( ((NOT_RUN)) && echo 'NOTRUN' || echo 'FAIL')|$CUR|$((SECONDS - T0))")
    CUR=""
    local t=$SECONDS
    if ((CLUSTER_UP)); then
        stop_cluster && RESULTS+=("PASS|cluster stopped (daemons killed, $SYSTEM_CONF removed)|$((SECONDS - t))") ||
            RESULTS+=("FAIL|cluster stopped|$((SECONDS - t))")
    fi
    echo
    echo "==================== test-slurm summary ===================="
    printf '%-6s %6s  %s\n' result "time/s" check
    local r
    for r in "${RESULTS[@]}"; do
        IFS='|' read -r status name secs <<< "$r"
        printf '%-6s %6s  %s\n' "$status" "$secs" "$name"
    done
    printf '%-6s %6s  %s\n' "" "$((SECONDS - START))" "total wall time"
    if ((rc == 0)); then
        echo "ALL PASSED"
        if [[ -n $STATE && ${SLURM_TEST_KEEP:-0} == 1 ]]; then echo "kept $STATE"; elif [[ -n $STATE ]]; then rm -rf "$STATE"; fi
    elif ((NOT_RUN)); then
        echo "NOT RUN (status $rc): the SLURM path was not tested, see the message above"
    else
        echo "FAILED (status $rc)${STATE:+; logs, slurm.conf and workdir kept in $STATE}"
    fi
    exit "$rc"
}

main() {
    trap finish EXIT
    trap 'exit 130' INT TERM
    install_slurm
    install_plugin
    start_cluster
    profile_args
    check_ddp
    check_scancel
    check_rerun
    check_jobs
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
