#!/usr/bin/env bash
# Generates a local CA plus server and client certificates for development and
# tests: `npm run dev-certs [-- DIR]` (default ./certs). Never use them in production.
#   DIR/ca.pem, ca-key.pem          the CA (trust it in clients: curl --cacert, SDK nodeOptions.ca)
#   DIR/server.pem, server-key.pem  for SHERPA_TLS_CERT / SHERPA_TLS_KEY (localhost, 127.0.0.1, ::1)
#   DIR/client.pem, client-key.pem  a client certificate for mTLS (SHERPA_TLS_CLIENT_CA=DIR/ca.pem)
set -euo pipefail
dir="${1:-./certs}"
mkdir -p "$dir"
cd "$dir"
days=825

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days "$days" \
  -subj "/CN=Sherpa development CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

issue() {
  local name=$1 subject=$2 extensions=$3
  openssl req -newkey rsa:2048 -nodes -keyout "$name-key.pem" -out "$name.csr" -subj "$subject" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out "$name.pem" \
    -days "$days" -extfile <(printf '%s\n' "$extensions") 2>/dev/null
  rm -f "$name.csr"
}

issue server "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth"
issue client "/CN=sherpa-dev-client" "extendedKeyUsage=clientAuth"
rm -f ca.srl
chmod 600 ./*-key.pem
echo "dev-certs: wrote CA, server and client certificates to $(pwd)"
