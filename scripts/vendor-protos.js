// Copies the third-party .proto files Sherpa imports from npm packages into
// proto-vendor/, because there is no Buf Schema Registry to fetch them from.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const vendorDir = new URL("../proto-vendor/", import.meta.url).pathname;

const googleFiles = [
  "google/api/annotations.proto",
  "google/api/http.proto",
  "google/api/field_behavior.proto",
  "google/rpc/code.proto",
  "google/rpc/error_details.proto",
  "google/rpc/status.proto",
];

/** Each entry: the npm package, the file's path in it, and its import path in proto-vendor/. */
const copies = [
  ...googleFiles.map((file) => ["google-proto-files", file, file]),
  ["grpc-health-check", "proto/health/v1/health.proto", "grpc/health/v1/health.proto"],
  ...["v1", "v1alpha"].map((version) => [
    "@grpc/reflection",
    `build/proto/grpc/reflection/${version}/reflection.proto`,
    `grpc/reflection/${version}/reflection.proto`,
  ]),
];

function packageDir(pkg) {
  return dirname(require.resolve(`${pkg}/package.json`));
}

rmSync(vendorDir, { recursive: true, force: true });
for (const [pkg, from, to] of copies) {
  mkdirSync(dirname(join(vendorDir, to)), { recursive: true });
  copyFileSync(join(packageDir(pkg), from), join(vendorDir, to));
}
console.log(`vendor-protos: copied ${copies.length} files into proto-vendor/`);
