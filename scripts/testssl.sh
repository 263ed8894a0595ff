#!/usr/bin/env bash
# Checks kubu's own TLS listeners with testssl.sh (Debian: apt-get install
# testssl.sh): the HTTPS listener (--tls-addr) and syslog over TLS
# (--syslog-tls), both with a certificate made here. For each it runs the
# protocol, cipher-per-protocol, forward-secrecy and server-preference
# checks, prints what is offered, and exits 1 if any weak protocol (SSLv2,
# SSLv3, TLS 1.0, TLS 1.1) or weak suite (NULL, export, RC4, 3DES, CBC,
# static RSA key exchange, no forward secrecy) is offered, or testssl rates
# any of those findings LOW or worse.
#
#   scripts/testssl.sh                      # builds kubu
#   KUBU_BIN=./bin/kubu scripts/testssl.sh
#   KUBU_TESTSSL_JSON=out/ scripts/testssl.sh   # keep testssl's JSON files there
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
testssl="$(command -v testssl || command -v testssl.sh || true)"
[ -n "$testssl" ] || { echo "testssl.sh is not installed (Debian: apt-get install testssl.sh)" >&2; exit 1; }
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

kubu="${KUBU_BIN:-}"
if [ -z "$kubu" ]; then
  kubu="$work/kubu"
  (cd "$repo" && go build -o "$kubu" ./cmd/kubu)
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=kubu test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kubu.test" \
  -keyout "$work/key.pem" -out "$work/req.csr" 2>/dev/null
printf 'subjectAltName=DNS:kubu.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' >"$work/ext"
openssl x509 -req -in "$work/req.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
  -extfile "$work/ext" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/ca.pem" >"$work/chain.pem"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
http_port="$(port)"; https_port="$(port)"; syslog_port="$(port)"
"$kubu" serve --data "$work/data" --addr "127.0.0.1:$http_port" --tls-addr "127.0.0.1:$https_port" \
  --syslog-tls "127.0.0.1:$syslog_port" --tls-cert "$work/chain.pem" --tls-key "$work/key.pem" \
  --log-level warn 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 100); do
  "$kubu" healthcheck --addr "127.0.0.1:$http_port" >/dev/null 2>&1 && break
  sleep 0.2
done

status=0
for target in "https:$https_port" "syslog-tls:$syslog_port"; do
  name="${target%%:*}"; p="${target##*:}"
  json="$work/$name.json"
  echo "== $name (127.0.0.1:$p)"
  "$testssl" --quiet --color 0 --warnings off --add-ca "$work/ca.pem" --ip 127.0.0.1 \
    --protocols --each-cipher --fs --server-preference --jsonfile "$json" "127.0.0.1:$p" >"$work/$name.txt" 2>&1 || true
  [ -n "${KUBU_TESTSSL_JSON:-}" ] && mkdir -p "$KUBU_TESTSSL_JSON" && cp "$json" "$KUBU_TESTSSL_JSON/$name.json"
  python3 - "$json" <<'PY' || status=1
import json, re, sys
findings = json.load(open(sys.argv[1]))
weak_protocols = {"SSLv2", "SSLv3", "TLS1", "TLS1_1"}
bad = []
offered_protocols, suites = [], []
for f in findings:
    i, sev, text = f.get("id", ""), f.get("severity", ""), f.get("finding", "")
    if i in weak_protocols | {"TLS1_2", "TLS1_3"}:
        if "not offered" not in text:
            offered_protocols.append(i)
            if i in weak_protocols:
                bad.append(f"{i} offered")
    if i.startswith("cipher-") or i.startswith("cipher_x"):
        suites.append(text)
        if re.search(r"(NULL|EXP|RC4|DES|CBC|_SHA\b|anon)", text) or (" RSA " in f" {text} " and "ECDHE" not in text and "TLS_AES" not in text and "TLS_CHACHA" not in text):
            bad.append(f"weak suite: {text}")
    if (i in weak_protocols or i.startswith("cipherorder") or i.startswith("FS") or i.startswith("cipher")) and sev in ("LOW", "MEDIUM", "HIGH", "CRITICAL"):
        bad.append(f"{i} rated {sev}: {text}")
print("protocols offered:", ", ".join(offered_protocols) or "none")
print("suites offered:")
for s in suites:
    print("  " + s)
fs = [f for f in findings if f.get("id") == "FS"]
if fs:
    print("forward secrecy:", fs[0].get("finding"), f"({fs[0].get('severity')})")
if bad:
    print("WEAK:", *bad, sep="\n  ")
    sys.exit(1)
print("no weak protocol or suite")
PY
done
exit $status
