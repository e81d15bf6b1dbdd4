#!/usr/bin/env bash
# Copies the Connect conformance .proto files out of the Go module that
# scripts/install-test-tools.sh installs the runner from, into proto/, and
# regenerates gen/ from them with protoc-gen-es. Both are committed, so only
# a version bump needs this; keep the version in step with install-test-tools.sh.
set -euo pipefail
conformance_version=v1.0.5
cd "$(dirname "$0")"
# buf finds protoc-gen-es on PATH; both come from the root package.
export PATH="$PWD/../../node_modules/.bin:$PATH"

module="connectrpc.com/conformance@$conformance_version"
module_dir="$(go env GOMODCACHE)/$module"
if [[ ! -d "$module_dir" ]]; then
  (cd "$(mktemp -d)" && go mod download "$module")
fi
rm -rf proto
mkdir -p proto/connectrpc/conformance/v1
# The server side needs only these; client_compat and suite serve the runner.
for file in config service server_compat; do
  cp "$module_dir/proto/connectrpc/conformance/v1/$file.proto" proto/connectrpc/conformance/v1/
done
# The module cache is read-only; the copies must not be.
chmod -R u+w proto
buf generate . --template buf.gen.yaml
echo "conformance: generated gen/ from $module"
