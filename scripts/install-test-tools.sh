#!/usr/bin/env bash
# Installs the external tools Sherpa's tests and benchmark use, on a bare Debian machine.
# npm packages (buf, grpc-js, ...) come from `npm install`; this script covers the rest:
#   curl, openssl, prometheus + promtool, chromium, h2load (Debian), grpcurl,
#   grpc-health-probe and connectconformance (go install).
# Tests that need one of these tools skip with a message naming this script when
# it is missing, except under CI=true, where a missing tool fails the test.
# Go tools go to $(go env GOPATH)/bin; the tests look there as well as on PATH.
set -euo pipefail

grpcurl_version=v1.9.4
grpc_health_probe_version=v0.4.62
# Keep in step with test/conformance/generate.sh, which copies this module's protos.
conformance_version=v1.0.5

apt_packages=()
need() { command -v "$1" >/dev/null 2>&1 || apt_packages+=("$2"); }
need curl curl
need git git
need openssl openssl
need promtool prometheus
# The browser interop test drives it with playwright-core.
need chromium chromium
# `npm run bench` drives Sherpa and its peers with it (gRPC, Connect over h2c and HTTP/1.1).
need h2load nghttp2-client
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded.
need make make
need g++ g++
need python3 python3

if ((${#apt_packages[@]} > 0)); then
  echo "install-test-tools: installing ${apt_packages[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
fi

gobin="$(go env GOPATH)/bin"
installed=$(go version -m "$gobin/grpcurl" 2>/dev/null | awk '$1 == "mod" { print $3 }' || true)
if [[ "$installed" != "$grpcurl_version" ]]; then
  echo "install-test-tools: go install grpcurl@$grpcurl_version"
  go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$grpcurl_version"
fi
installed=$(go version -m "$gobin/grpc-health-probe" 2>/dev/null | awk '$1 == "mod" { print $3 }' || true)
if [[ "$installed" != "$grpc_health_probe_version" ]]; then
  echo "install-test-tools: go install grpc-health-probe@$grpc_health_probe_version"
  go install "github.com/grpc-ecosystem/grpc-health-probe@$grpc_health_probe_version"
fi
installed=$(go version -m "$gobin/connectconformance" 2>/dev/null | awk '$1 == "mod" { print $3 }' || true)
if [[ "$installed" != "$conformance_version" ]]; then
  echo "install-test-tools: go install connectconformance@$conformance_version"
  go install "connectrpc.com/conformance/cmd/connectconformance@$conformance_version"
fi
echo "install-test-tools: done"
