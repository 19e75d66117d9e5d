#!/usr/bin/env bash
# The worked example of docs/pools.md, run: one Redis, two flipdns instances
# (dns-a, dns-b) sharing it, two web servers with their agents, and a failover
# pool app.example.com. answering web1, then web2 when web1's web server stops,
# then web1 again when it is back. Everything listens on 127.0.0.1 only.
#
# The commands of the doc's shell blocks appear below verbatim and in the same
# order (test/docs/worked-example.test.ts checks it); what is not in the doc
# is the waiting, the checks and the cleanup.
#
#   bash docs/example/worked-example.sh        # from anywhere; needs a built checkout (npm ci)
#
# Ports (the doc's defaults) can be moved with REDIS_PORT, DNS_A_PORT,
# DNS_A_HTTP_PORT, DNS_B_PORT, DNS_B_HTTP_PORT, WEB1_PORT, WEB2_PORT.
# Exit 0 when both instances failed over and back within their bounds; else 1
# with a one-line reason on the last line of stderr.
set -Eeuo pipefail

STARTED_MS=$(( ${EPOCHREALTIME//[.,]/} / 1000 ))
now_ms() { echo $(( ${EPOCHREALTIME//[.,]/} / 1000 - STARTED_MS )); }
say() { local ms; ms=$(now_ms); printf '[%3d.%ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"; }

# --- failure, cleanup -------------------------------------------------------

# Every process this script starts, by the variable that holds its PID.
PID_VARS=(AGENT1_PID AGENT2_PID DNS_A_PID DNS_B_PID WEB1_PID WEB2_PID REDIS_PID)
declare -A NAME=([AGENT1_PID]="web1's agent" [AGENT2_PID]="web2's agent" [DNS_A_PID]=dns-a [DNS_B_PID]=dns-b
  [WEB1_PID]="web1's web server" [WEB2_PID]="web2's web server" [REDIS_PID]=redis-server)
WORK=''
REPO=''

fail() {
  trap - ERR
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    for log in "$WORK"/*.log; do
      [ -s "$log" ] || continue
      echo "--- last lines of $(basename "$log"):" >&2
      tail -n 5 "$log" >&2
    done
  fi
  echo "worked-example: FAILED: $*" >&2
  exit 1
}
trap 'fail "line $LINENO: \`$BASH_COMMAND\` exited $?"' ERR

cleanup() {
  local code=$? var pid pids=() waited=0 running
  trap - ERR EXIT INT TERM
  # Only this script's own background processes still running (never a PID
  # that was reused after one of them exited).
  running=" $(jobs -rp | tr '\n' ' ') "
  for var in "${PID_VARS[@]}"; do
    pid=${!var:-}
    if [ -n "$pid" ] && [[ $running == *" $pid "* ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  # Up to 5 s for them to stop, then SIGKILL what is left.
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    cd /
    rm -rf "$WORK"
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'echo "worked-example: interrupted" >&2; exit 130' INT
trap 'echo "worked-example: terminated" >&2; exit 143' TERM

# --- what the example needs -------------------------------------------------

[ "${BASH_VERSINFO[0]}" -ge 5 ] || fail "needs bash 5 or later (for EPOCHREALTIME), this is $BASH_VERSION"
missing=()
for cmd in node redis-server redis-cli dig openssl sha256sum; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
[ "${#missing[@]}" -eq 0 ] || fail "not on the PATH: ${missing[*]} (Debian: apt-get install redis-server bind9-dnsutils openssl)"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ -f dist/cli/main.js ] || fail "dist/ is not built: run npm ci (or npm run build) in $PWD first"

# --- helpers: look, wait ----------------------------------------------------

# The pool's answer from one instance, comma-separated ('' when none came).
answer() { dig @127.0.0.1 -p "$1" app.example.com +short +time=1 +tries=1 2>/dev/null | paste -sd, - || true; }

# Node health as one instance sees it: "web1=up web2=up".
health() {
  flipdns status --json --server "http://127.0.0.1:$1" --token "$ADMIN_TOKEN" 2>/dev/null |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { try { console.log(JSON.parse(s).nodes.map((n) => `${n.id}=${n.health}`).join(" ")); } catch { console.log("no status"); } });' || true
}

# Fails when a process that should run has exited.
check_running() {
  local var pid
  for var in "$@"; do
    pid=${!var:-}
    [ -n "$pid" ] || continue
    kill -0 "$pid" 2>/dev/null || fail "${NAME[$var]} (pid $pid) exited early; its log is above"
  done
}
RUNNING=(REDIS_PID DNS_A_PID DNS_B_PID WEB2_PID AGENT1_PID AGENT2_PID)

# until_true DEADLINE_MS WHAT COMMAND...: poll every 50 ms.
until_true() {
  local deadline=$(( $(now_ms) + $1 )) what=$2
  shift 2
  until "$@"; do
    check_running "${RUNNING[@]}"
    [ "$(now_ms)" -lt "$deadline" ] || fail "$what"
    sleep 0.05
  done
}

# until_both WANT BOUND_MS WHAT SINCE_MS: poll both instances every 50 ms until
# each answers WANT; says how many ms after SINCE_MS each did (to the poll).
until_both() {
  local want=$1 bound=$2 what=$3 start=$4 a_ms='' b_ms='' t
  while [ -z "$a_ms" ] || [ -z "$b_ms" ]; do
    check_running "${RUNNING[@]}"
    t=$(( $(now_ms) - start ))
    if [ -z "$a_ms" ] && [ "$(answer "$DNS_A_PORT")" = "$want" ]; then a_ms=$(( $(now_ms) - start )); fi
    if [ -z "$b_ms" ] && [ "$(answer "$DNS_B_PORT")" = "$want" ]; then b_ms=$(( $(now_ms) - start )); fi
    if [ "$t" -gt "$bound" ]; then
      fail "$what: not both answering $want within $bound ms (dns-a: $(answer "$DNS_A_PORT"), dns-b: $(answer "$DNS_B_PORT"); nodes: $(health "$DNS_A_HTTP_PORT"))"
    fi
    [ -n "$a_ms" ] && [ -n "$b_ms" ] || sleep 0.05
  done
  say "$what: dns-a answers $want after $a_ms ms, dns-b after $b_ms ms (bound $bound ms; polled every 50 ms)"
}

none_running() {
  local var pid
  for var in "${PID_VARS[@]}"; do
    pid=${!var:-}
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 1; fi
  done
}
redis_is_ours() { [ "$(redis-cli -p "$REDIS_PORT" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" = "$REDIS_PID" ]; }
serves() { [ "$(dig @127.0.0.1 -p "$2" CH TXT id.server +short +time=1 +tries=1 2>/dev/null)" = "\"$1\"" ]; }
both_up() { [ "$(health "$DNS_A_HTTP_PORT")" = "web1=up web2=up" ] && [ "$(health "$DNS_B_HTTP_PORT")" = "web1=up web2=up" ]; }
web_answers() { [ "$(http_get "$1")" = "$2" ]; }
# GET http://127.0.0.1:PORT/health with node (no curl needed).
http_get() { node -e 'fetch(`http://127.0.0.1:${process.argv[1]}/health`).then((r) => r.text()).then((t) => process.stdout.write(t.trim()), () => {})' "$1" 2>/dev/null || true; }

# --- the doc's commands, in its order ---------------------------------------

say "setting up"
REPO=$PWD
PATH="$REPO/bin:$PATH"
WORK=$(mktemp -d) && cd "$WORK"
REDIS_PORT=${REDIS_PORT:-6390}
DNS_A_PORT=${DNS_A_PORT:-5301} DNS_A_HTTP_PORT=${DNS_A_HTTP_PORT:-8101}
DNS_B_PORT=${DNS_B_PORT:-5302} DNS_B_HTTP_PORT=${DNS_B_HTTP_PORT:-8102}
WEB1_PORT=${WEB1_PORT:-8081} WEB2_PORT=${WEB2_PORT:-8082}

ADMIN_TOKEN=$(openssl rand -hex 16)
WEB1_TOKEN=$(openssl rand -hex 16)
WEB2_TOKEN=$(openssl rand -hex 16)

mkdir zones
cp "$REPO/docs/example/zones/app.example.com.zone" zones/
WEB1_SHA256=$(printf %s "$WEB1_TOKEN" | sha256sum | cut -d' ' -f1)
WEB2_SHA256=$(printf %s "$WEB2_TOKEN" | sha256sum | cut -d' ' -f1)
sed -e "s/SHA256_OF_WEB1_TOKEN/$WEB1_SHA256/" -e "s/SHA256_OF_WEB2_TOKEN/$WEB2_SHA256/" \
  "$REPO/docs/example/zones/app.example.com.pools.json" > zones/app.example.com.pools.json
flipdns zone check zones

say "starting Redis on 127.0.0.1:$REDIS_PORT"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$WORK" > redis.log 2>&1 &
REDIS_PID=$!

until_true 5000 "Redis (pid $REDIS_PID) not answering on 127.0.0.1:$REDIS_PORT within 5 s (is the port taken?)" redis_is_ours

say "starting dns-a (DNS 127.0.0.1:$DNS_A_PORT, HTTP 127.0.0.1:$DNS_A_HTTP_PORT) and dns-b (DNS 127.0.0.1:$DNS_B_PORT, HTTP 127.0.0.1:$DNS_B_HTTP_PORT)"
flipdns serve --id dns-a --zones zones --store "redis://127.0.0.1:$REDIS_PORT/0" \
  --host 127.0.0.1 --port "$DNS_A_PORT" --http-host 127.0.0.1 --http-port "$DNS_A_HTTP_PORT" \
  --admin-token "$ADMIN_TOKEN" > dns-a.log 2>&1 &
DNS_A_PID=$!
flipdns serve --id dns-b --zones zones --store "redis://127.0.0.1:$REDIS_PORT/0" \
  --host 127.0.0.1 --port "$DNS_B_PORT" --http-host 127.0.0.1 --http-port "$DNS_B_HTTP_PORT" \
  --admin-token "$ADMIN_TOKEN" > dns-b.log 2>&1 &
DNS_B_PID=$!

until_true 10000 "dns-a does not answer CH TXT id.server on 127.0.0.1:$DNS_A_PORT within 10 s" serves dns-a "$DNS_A_PORT"
until_true 10000 "dns-b does not answer CH TXT id.server on 127.0.0.1:$DNS_B_PORT within 10 s" serves dns-b "$DNS_B_PORT"

say "starting the web servers on 127.0.0.1:$WEB1_PORT (web1) and 127.0.0.1:$WEB2_PORT (web2), and their agents"
node -e 'require("node:http").createServer((req, res) => res.end("web1\n")).listen(process.argv[1], "127.0.0.1")' "$WEB1_PORT" > web1.log 2>&1 &
WEB1_PID=$!
node -e 'require("node:http").createServer((req, res) => res.end("web2\n")).listen(process.argv[1], "127.0.0.1")' "$WEB2_PORT" > web2.log 2>&1 &
WEB2_PID=$!

flipdns agent --node web1 --token "$WEB1_TOKEN" \
  --server "http://127.0.0.1:$DNS_A_HTTP_PORT" --server "http://127.0.0.1:$DNS_B_HTTP_PORT" \
  --check-http "http://127.0.0.1:$WEB1_PORT/health" > agent-web1.log 2>&1 &
AGENT1_PID=$!
flipdns agent --node web2 --token "$WEB2_TOKEN" \
  --server "http://127.0.0.1:$DNS_A_HTTP_PORT" --server "http://127.0.0.1:$DNS_B_HTTP_PORT" \
  --check-http "http://127.0.0.1:$WEB2_PORT/health" > agent-web2.log 2>&1 &
AGENT2_PID=$!

until_true 5000 "web1's web server does not answer on 127.0.0.1:$WEB1_PORT within 5 s (is the port taken?)" web_answers "$WEB1_PORT" web1
until_true 5000 "web2's web server does not answer on 127.0.0.1:$WEB2_PORT within 5 s (is the port taken?)" web_answers "$WEB2_PORT" web2
check_running WEB1_PID
until_true 10000 "web1 and web2 not both up on both instances within 10 s of their agents' start" both_up
until_both 192.0.2.21 2000 "start" "$(now_ms)"

say "both nodes up; what an operator sees:"
flipdns status --server "http://127.0.0.1:$DNS_A_HTTP_PORT" --token "$ADMIN_TOKEN"
dig @127.0.0.1 -p "$DNS_A_PORT" app.example.com +short    # 192.0.2.21: web1
dig @127.0.0.1 -p "$DNS_B_PORT" app.example.com +short    # 192.0.2.21

say "stopping web1's web server"
STOPPED_MS=$(now_ms)
kill "$WEB1_PID"

# fall 3 × interval 1000 ms, plus 2 s for the agent's check round, the
# query and this machine: the bound of the slower path, the deadline. The
# agent's down report should be much faster (one check interval at most).
until_both 192.0.2.22 5000 "failover" "$STOPPED_MS"
flipdns status --server "http://127.0.0.1:$DNS_B_HTTP_PORT" --token "$ADMIN_TOKEN"
dig @127.0.0.1 -p "$DNS_A_PORT" app.example.com +short    # 192.0.2.22: web2
dig @127.0.0.1 -p "$DNS_B_PORT" app.example.com +short    # 192.0.2.22

say "starting web1's web server again"
RESTARTED_MS=$(now_ms)
node -e 'require("node:http").createServer((req, res) => res.end("web1\n")).listen(process.argv[1], "127.0.0.1")' "$WEB1_PORT" > web1.log 2>&1 &
WEB1_PID=$!
RUNNING+=(WEB1_PID)

# The agent's next check (≤ 1 interval), then rise 2 beats on time (1 more
# interval), plus 2 s.
until_both 192.0.2.21 4000 "failback" "$RESTARTED_MS"
dig @127.0.0.1 -p "$DNS_A_PORT" app.example.com +short    # 192.0.2.21: web1 again
dig @127.0.0.1 -p "$DNS_B_PORT" app.example.com +short    # 192.0.2.21

say "stopping everything"
kill "$AGENT1_PID" "$AGENT2_PID" "$DNS_A_PID" "$DNS_B_PID" "$WEB1_PID" "$WEB2_PID" "$REDIS_PID"

RUNNING=()
until_true 5000 "not every process stopped within 5 s of SIGTERM" none_running

cd "$REPO" && rm -rf "$WORK"

say "OK: both instances failed over to web2 and back to web1 within their bounds"
