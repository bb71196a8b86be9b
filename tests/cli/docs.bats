#!/usr/bin/env bats
# Every option a binary's --help lists is in its man page and in its bash, zsh and
# fish completions (regenerate completions with scripts/gen-completions.py).

load helpers

check_tool() {
  local tool=$1 bin=${2:-$NETLINES_BIN} missing=""
  [ -x "$bin/$tool" ] || skip "$tool not built"
  local opts
  opts=$("$bin/$tool" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  [ -n "$opts" ]
  for o in $opts; do
    local roff=${o//-/\\-}
    grep -qF -- "$roff" "$NETLINES_SRC/man/$tool.1" || missing="$missing man:$o"
    grep -qwF -- "$o" "$NETLINES_SRC/completions/bash/$tool" || missing="$missing bash:$o"
    grep -qF -- "$o" "$NETLINES_SRC/completions/zsh/_$tool" || missing="$missing zsh:$o"
    grep -qE -- "-l ${o#--}( |$)" "$NETLINES_SRC/completions/fish/$tool.fish" || missing="$missing fish:$o"
  done
  if [ -n "$missing" ]; then
    echo "$tool: options missing from docs:$missing" >&2
    return 1
  fi
}

@test "pcap2pkt: man page and completions list every option" { check_tool pcap2pkt; }
@test "tcpflow-reasm: man page and completions list every option" { check_tool tcpflow-reasm; }
@test "httpextract: man page and completions list every option" { check_tool httpextract; }
@test "tlssni: man page and completions list every option" { check_tool tlssni; }
@test "flowstat: man page and completions list every option" { check_tool flowstat; }
@test "dnsextract: man page and completions list every option" { check_tool dnsextract; }
@test "credextract: man page and completions list every option" { check_tool credextract; }
@test "pkt2pcap: man page and completions list every option" { check_tool pkt2pcap; }
@test "netlines-chart: man page and completions list every option" { check_tool netlines-chart "$NETLINES_SRC/tools"; }

@test "man 5 netlines is generated from the current docs/schema.md" {
  python3 "$NETLINES_SRC/scripts/gen-man5.py" --check
}

@test "every binary's man page documents NETLINES_THREADS" {
  for tool in $(tools); do
    grep -q '^\.B NETLINES_THREADS' "$NETLINES_SRC/man/$tool.1" || { echo "$tool.1"; return 1; }
  done
}

# COMPREPLY of a bash completion function for the words given (the last is the one completed).
complete_words() {
  local tool=$1; shift
  bash -c 'source "$1"; shift; fn=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); $fn; echo "${COMPREPLY[*]}"' \
    _ "$NETLINES_SRC/completions/bash/$tool" "_${tool//-/_}" "$tool" "$@"
}

@test "bash completion: option values after a space, after '=' split off by bash, and in one word" {
  [ "$(complete_words tlssni --time '')" = "iso epoch" ]
  [ "$(complete_words tlssni --time = '')" = "iso epoch" ]
  [ "$(complete_words tlssni --time = e)" = "epoch" ]
  [ "$(complete_words tlssni --time=)" = "--time=iso --time=epoch" ]
  [ "$(complete_words tlssni --time=e)" = "--time=epoch" ]
  [ "$(complete_words pcap2pkt --payload = h)" = "head:" ]
  [ "$(complete_words httpextract --bo)" = "--body" ]
}
