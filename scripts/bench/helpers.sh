# Shell helpers the benchmark scripts share (sourced, never run), on top of
# those every script shares (alive, stop_pids, json_string).

source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

# @returns (prints) the value of `key` in a `key=value ...` line.
field() {
  local line=" $1" key=$2
  [[ "$line" =~ [[:space:]]$key=([^[:space:]]*) ]] || return 1
  printf '%s\n' "${BASH_REMATCH[1]}"
}

# Prints the median of the numbers given, or - for none.
median() {
  (($#)) || { echo -; return; }
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2
  }'
}

# pair_ratios "<a values>" "<b values>": for rounds measured in pairs,
# prints a_i / b_i per round, space-separated (0 where b_i is 0); nothing
# unless both lists have the same, non-zero length.
pair_ratios() {
  local a b i out=()
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  ((${#a[@]} && ${#a[@]} == ${#b[@]})) || return 0
  for i in "${!a[@]}"; do
    out+=("$(awk -v a="${a[i]}" -v b="${b[i]}" \
      'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }')")
  done
  echo "${out[*]}"
}

# pairs_line "<a values>" "<b values>" [scale]: "a/b=ratio" per round,
# comma-separated, the values divided by `scale` (default 1); - for none.
pairs_line() {
  local a b i out=""
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  for i in "${!a[@]}"; do
    out+="${out:+, }$(awk -v a="${a[i]}" -v b="${b[i]:-0}" -v s="${3:-1}" \
      'BEGIN { printf "%g/%g=%.2f", a / s, b / s, (b > 0 ? a / b : 0) }')"
  done
  echo "${out:--}"
}

# cpu_seconds <pid...>: CPU seconds (user + system) the processes have used
# so far, together; a pid that is gone counts 0.
cpu_seconds() {
  local pid stat f ticks=0
  for pid in "$@"; do
    [[ -n "$pid" ]] || continue
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    # The command name may hold spaces; the fields after it do not. After
    # the name: state is field 3, utime 14, stime 15 (proc(5)).
    read -r -a f <<<"${stat##*) }"
    ticks=$((ticks + f[11] + f[12]))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f\n", t / hz }'
}

# wait_quiet <cores> <pid...>: waits (up to 30 s) until the processes
# together use less than <cores> over half a second, so that a measured run
# does not pay for compaction or snapshots an earlier one left behind; sets
# settled_s to the seconds waited.
wait_quiet() {
  local limit=$1 t c0 c1 start
  shift
  start=$(date +%s%N)
  for ((t = 0; t < 60; t++)); do
    c0=$(cpu_seconds "$@")
    sleep 0.5
    c1=$(cpu_seconds "$@")
    awk -v a="$c0" -v b="$c1" -v l="$limit" \
      'BEGIN { exit !((b - a) / 0.5 < l) }' && break
  done
  settled_s=$(awk -v ns="$(($(date +%s%N) - start))" \
    'BEGIN { printf "%.1f", ns / 1e9 }')
}

# The helpers below use the calling script's `log` and `die`, its global
# `child_pid` (the tool running in its foreground, for its clean-up) and
# `stop_problems` (what went wrong stopping processes, for its report).

# What stop_pids reports goes to the report (`stop_problems`, tagged with
# the system being stopped); a kill is logged at once as well.
stop_problem() {
  if [[ "$1" == killed ]]; then log "$2; killing it"; fi
  stop_problems+=("$2${system:+ ($system)}")
}

# run_child <stdout file> <stderr file | - | &1> <command...>
# Runs a command in the background and waits for it, so that the scripts'
# traps fire at once on Ctrl-C (bash defers traps while a foreground child
# runs) and the child is known by pid. Background children of a script
# ignore SIGINT, so clean-up has to stop them itself. The redirections
# apply to the child only: a trap firing here must still write to the
# script's stderr. `-` leaves the child's stderr on the script's, `&1`
# sends it to the stdout file.
run_child() {
  local out=$1 err=$2 rc=0
  shift 2
  case "$err" in
    -) "$@" >"$out" & ;;
    '&1') "$@" >"$out" 2>&1 & ;;
    *) "$@" >"$out" 2>"$err" & ;;
  esac
  child_pid=$!
  # wait's stderr would carry bash's "Killed" notices for processes a run
  # kills on purpose (the raft failover runs).
  wait "$child_pid" 2>/dev/null || rc=$?
  child_pid=""
  return "$rc"
}

# Prints a TCP port nobody listens on (on any address), from a pid-dependent
# start so that concurrent runs rarely collide; skips the ports given.
free_port() {
  local port p taken
  for ((port = 20000 + $$ % 20000; port < 65000; port++)); do
    taken=0
    for p in "$@"; do [[ "$port" == "$p" ]] && taken=1; done
    ((taken)) && continue
    if [[ -z "$(ss -Htln "sport = :$port")" ]]; then
      echo "$port"
      return 0
    fi
  done
  die "no free TCP port"
}

# etcd members on 127.0.0.<i>, for the benchmarks that measure against
# etcd. The calling script sets etcd_client_port, etcd_peer_port and
# etcd_work (where member m<i> keeps its data dir and its log, m<i>.log),
# and etcd_prefix when its gateway is not at /v3/.
etcd_prefix=/v3
etcd_url() { echo "http://127.0.0.$1:$etcd_client_port"; }
etcd_peer_url() { echo "http://127.0.0.$1:$etcd_peer_port"; }

# etcd_launch <i> <initial cluster> <new|existing> [etcd flag...]: starts
# member m<i> in the background; its pid is then in $!. The --initial-*
# flags only matter on a first start: a restart reads the membership from
# the data dir.
etcd_launch() {
  local i=$1 cluster=$2 state=$3
  shift 3
  etcd --name "m$i" --data-dir "$etcd_work/m$i" \
    --listen-peer-urls "$(etcd_peer_url "$i")" \
    --initial-advertise-peer-urls "$(etcd_peer_url "$i")" \
    --listen-client-urls "$(etcd_url "$i")" \
    --advertise-client-urls "$(etcd_url "$i")" \
    --initial-cluster "$cluster" --initial-cluster-state "$state" \
    --initial-cluster-token "corvus-bench-$$" \
    --logger=zap --log-outputs=stderr "$@" \
    >>"$etcd_work/m$i.log" 2>&1 &
}

# etcd_cluster <i...>: the --initial-cluster list of those members.
etcd_cluster() {
  local i out=""
  for i in "$@"; do out+="${out:+,}m$i=$(etcd_peer_url "$i")"; done
  echo "$out"
}

# etcd_post <i> <path> <body> [seconds]: POSTs to member <i>'s JSON
# gateway; prints the answer's body, or nothing unless it answered 200.
etcd_post() {
  curl -sf --max-time "${4:-2}" -X POST -d "$3" \
    "$(etcd_url "$1")$etcd_prefix/$2" 2>/dev/null || true
}
etcd_status() { etcd_post "$1" maintenance/status '{}'; }
