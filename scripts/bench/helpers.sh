# Shell helpers the benchmark scripts share (sourced, never run).

# True while `pid` runs. An exited child of ours stays a zombie until we
# wait for it, and `kill -0` would still find it.
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z* ]]
}

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
