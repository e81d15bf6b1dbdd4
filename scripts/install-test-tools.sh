#!/usr/bin/env bash
# Installs the external tools Sherpa's tests use, on a bare Debian machine.
# npm packages (buf, grpc-js, ...) come from `npm ci`; this script covers the rest.
# Tests that need a tool this script installs skip with a message naming this
# script when it is missing, except under CI=true, where a missing tool fails.
set -euo pipefail

apt_packages=()
command -v curl >/dev/null 2>&1 || apt_packages+=(curl)
command -v git >/dev/null 2>&1 || apt_packages+=(git)
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded.
command -v make >/dev/null 2>&1 || apt_packages+=(make)
command -v g++ >/dev/null 2>&1 || apt_packages+=(g++)
command -v python3 >/dev/null 2>&1 || apt_packages+=(python3)

if ((${#apt_packages[@]} > 0)); then
  echo "install-test-tools: installing ${apt_packages[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}"
fi
echo "install-test-tools: done"
