# shellcheck shell=bash
# Shell functions the scripts share (sourced, never run): processes started
# by a script, and values read from compact JSON.

# True while `pid` runs. An exited child of ours stays a zombie until we
# wait for it, and `kill -0` would still find it.
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z* ]]
}

# Sends TERM to every pid given, waits up to `grace` seconds for all, then
# KILLs what is left, and reaps them. Usage: stop_pids <grace> <pid...>
# A pid that had to be killed, or that exited with another status than a
# clean stop, goes to the calling script's `stop_problem <killed|status>
# <what>`.
stop_pids() {
  local grace=$1 pid i left rc
  shift
  for pid in "$@"; do
    if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for ((i = 0; i < grace * 10; i++)); do
    left=0
    for pid in "$@"; do alive "$pid" && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for pid in "$@"; do
    if alive "$pid"; then
      stop_problem killed "pid $pid ignored SIGTERM for ${grace}s"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    # 0, or 143 (TERM) from a program that does not catch it, is a clean
    # stop; 137 follows the KILL above; 127 is a pid already reaped.
    if ((rc != 0 && rc != 143 && rc != 137 && rc != 127)); then
      stop_problem status "pid $pid exited with status $rc on SIGTERM"
    fi
  done
}

# @returns (prints) the string value of "key":"value" in compact JSON.
json_string() {
  local json=$1 key=$2
  [[ "$json" =~ \"$key\":\"([^\"]*)\" ]] || return 1
  printf '%s\n' "${BASH_REMATCH[1]}"
}
