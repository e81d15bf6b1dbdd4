import { fileURLToPath } from "node:url";

/** The monorepo root, where buf.yaml's workspace resolves the vendored imports. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The Sherpa API protos (`sherpa/v1/*.proto`). */
export const protoDir = fileURLToPath(new URL("../../proto/", import.meta.url));

/** Third-party protos the API imports (`google/api`, `google/rpc`, ...). */
export const protoVendorDir = fileURLToPath(new URL("../../proto-vendor/", import.meta.url));

/** The built server; `npx turbo run build` makes it. */
export const serverMain = fileURLToPath(new URL("../../apps/server/dist/main.js", import.meta.url));

/** The buf CLI installed by the root package. */
export const bufBin = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));

/** The built node agent, `sherpa-agent`; `npx turbo run build` makes it. */
export const agentMain = fileURLToPath(new URL("../../apps/agent/dist/main.js", import.meta.url));

/** The built CLI, `sherpa`; `npx turbo run build` makes it. */
export const cliMain = fileURLToPath(new URL("../../apps/cli/dist/main.js", import.meta.url));
