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
