#!/usr/bin/env bash
# Grades kubu's own pages with the MDN HTTP Observatory, as a browser
# would reach them: kubu serves HTTPS on --tls-addr with a certificate for
# kubu.test (made here, from a CA made here), plain HTTP on --addr
# redirects to it, and the Observatory resolves kubu.test to 127.0.0.1
# (its own lookup overridden; no /etc/hosts change needed) and trusts the
# CA (NODE_EXTRA_CA_CERTS). Prints the Observatory's JSON (score, grade,
# every test's result) and exits 0 only for an A+.
#
#   KUBU_OBSERVATORY_DIR=~/.cache/kubu-ci/observatory scripts/observatory.sh
#   KUBU_BIN=./bin/kubu scripts/observatory.sh      # an existing build
#
# Needs node and openssl; KUBU_OBSERVATORY_DIR is where
# `npm install @mdn/mdn-http-observatory` was run (.ci/run does it).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
obs="${KUBU_OBSERVATORY_DIR:?set KUBU_OBSERVATORY_DIR (see .ci/run)}/node_modules/@mdn/mdn-http-observatory/src"
[ -d "$obs" ] || { echo "the MDN HTTP Observatory is not installed in $KUBU_OBSERVATORY_DIR" >&2; exit 1; }
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

kubu="${KUBU_BIN:-}"
if [ -z "$kubu" ]; then
  kubu="$work/kubu"
  (cd "$repo" && go build -o "$kubu" ./cmd/kubu)
fi

# A CA and a certificate for kubu.test.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=kubu test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kubu.test" \
  -keyout "$work/key.pem" -out "$work/req.csr" 2>/dev/null
printf 'subjectAltName=DNS:kubu.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' >"$work/ext"
openssl x509 -req -in "$work/req.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
  -extfile "$work/ext" -out "$work/cert.pem" 2>/dev/null

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
http_port="$(port)"
https_port="$(port)"
"$kubu" serve --data "$work/data" --addr "127.0.0.1:$http_port" --tls-addr "127.0.0.1:$https_port" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --public-url "https://kubu.test:$https_port" \
  --log-level warn 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 100); do
  "$kubu" healthcheck --addr "127.0.0.1:$http_port" >/dev/null 2>&1 && break
  sleep 0.2
done

out="$(KUBU_OBS_HOSTS="{\"kubu.test\":\"127.0.0.1\"}" KUBU_OBS_ROOT="$obs" NODE_EXTRA_CA_CERTS="$work/ca.pem" \
  node "$repo/scripts/observatory.mjs" kubu.test "$http_port" "$https_port" || true)"
echo "$out"
grade="$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("grade",""))' 2>/dev/null || true)"
[ "$grade" = "A+" ] || { echo "grade ${grade:-none}, want A+" >&2; exit 1; }
