#!/usr/bin/env bash
# Where a flipdns instance's CPU goes while it answers precompiled responses
# under dnsperf: perf for 10 s, summed by binary (dso) and by symbol.
#   npm run build && bash bench/profile-udp.sh            # native transport
#   TRANSPORT=dgram bash bench/profile-udp.sh
# Needs perf and dnsperf; everything on 127.0.0.1; the server is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
transport=${TRANSPORT:-native}
port=${PORT:-15399}
dir=$(mktemp -d /tmp/flipdns-profile-XXXXXX)
printf 'www.example.test A\nexample.test SOA\nwww.example.test AAAA\nnope.example.test A\n' > "$dir/queries"
node bin/flipdns serve --zones zones --port "$port" --http-port 0 --udp-transport "$transport" --log-level warn > "$dir/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
sleep 2
dnsperf -s 127.0.0.1 -p "$port" -d "$dir/queries" -l 14 -c 4 -q 100 > "$dir/dnsperf.txt" 2>&1 &
load=$!
sleep 2
perf record -F 999 -g -p "$server" -o "$dir/perf.data" -- sleep 10 > /dev/null 2>&1
wait "$load"
grep -E "Queries per second|Queries lost" "$dir/dnsperf.txt"
echo "== by binary"
perf report -i "$dir/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep "%" | head -8
echo "== by symbol"
perf report -i "$dir/perf.data" --stdio --no-children --sort sym -g none 2>/dev/null | grep "%" | head -25
echo "(perf data and logs: $dir)"
