#!/usr/bin/env bash
# Makes the previous release's data dir that TestUpgradeFromV010
# (internal/cli/upgrade_test.go) opens with the current build: builds the
# tag, seeds a demo government with it, adds a token, an intake token, a
# Sigma rule, three HEC events that raise an alert and an anonymous VDP
# report, stops it, and writes the SQL dump, the secret key and the token
# into internal/cli/testdata/upgrade/TAG/.
#
#   scripts/upgrade-fixture.sh            # v0.1.0
#   scripts/upgrade-fixture.sh v0.2.0     # a later release, when there is one
set -euo pipefail
tag="${1:-v0.1.0}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/internal/cli/testdata/upgrade/$tag"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }

git -C "$repo" archive "$tag" | tar -x -C "$work"
(cd "$work" && go build -o "$work/kubu" ./cmd/kubu)
kubu="$work/kubu"
data="$work/data"
addr=127.0.0.1:18931
"$kubu" serve --data "$data" --addr "$addr" --demo >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
for _ in $(seq 1 60); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 1; done
tok=$("$kubu" token create --data "$data" --email admin@kubu.gov.example --name fixture)
itok=$("$kubu" intake-token create --data "$data" --agency MOH --name fw01)
curl -sf -X POST -H "Authorization: Bearer $tok" -H 'Content-Type: application/yaml' --data-binary \
  $'title: Fixture whoami\nid: 6f1c1d2e-0000-4000-8000-000000000001\nlevel: high\nlogsource: {product: windows}\ndetection:\n  sel: {Image|endswith: "\\\\whoami.exe"}\n  condition: sel\n' \
  "http://$addr/api/v1/rules" >/dev/null
for i in 1 2 3; do
  curl -sf -H "Authorization: Splunk $itok" \
    -d '{"event":{"EventID":1,"Image":"C:\\Windows\\System32\\whoami.exe","Computer":"ws'$i'"},"time":'"$(date +%s)"'}' \
    "http://$addr/services/collector/event" >/dev/null
done
curl -sf -X POST -H 'Content-Type: application/json' \
  -d '{"title":"Reflected XSS on search","description":"The **q** parameter is echoed.","affected_url":"https://healthhub.example.sg/search?q=x","reporter_email":"anon@example.net"}' \
  "http://$addr/api/v1/public/vdp/reports" >/dev/null
# Wait for the alert, then stop kubu cleanly.
for _ in $(seq 1 30); do
  curl -sf -H "Authorization: Bearer $tok" "http://$addr/api/v1/alerts" | grep -q '"rule_id"' && break
  sleep 1
done
kill -TERM "$pid"
wait "$pid" || true
"$kubu" audit verify --data "$data"
mkdir -p "$out"
sqlite3 "$data/kubu.db" .dump >"$out/kubu.sql"
cp "$data/secret.key" "$out/secret.key"
echo "$tok" >"$out/api-token"
echo "wrote $out"
