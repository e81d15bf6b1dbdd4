import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createSherpaClient } from "./browser.js";
import type { SherpaProtocol } from "./client-options.js";
import {
  slowTaskId,
  startTestTaskServer,
  type TestTaskServer,
  testAuthorization,
} from "./testing/start-task-server.js";

// Node.js has fetch, so the browser client can be tried against a real server here.
describe("createSherpaClient (browser)", () => {
  let server: TestTaskServer | undefined;
  before(async () => {
    server = await startTestTaskServer("1.1");
  });
  after(() => server?.close());

  const protocols: SherpaProtocol[] = ["connect", "grpc-web"];
  for (const protocol of protocols) {
    describe(protocol, () => {
      const connect = (timeoutMs?: number) =>
        createSherpaClient({
          baseUrl: server?.baseUrl ?? "",
          protocol,
          timeoutMs,
          headers: { authorization: testAuthorization },
        });

      it("returns the task asked for", async () => {
        const { task } = await connect().tasks.getTask({ id: "task-7" });
        assert.equal(task?.id, "task-7");
      });

      it("surfaces a server error as ConnectError with its code", async () => {
        await assert.rejects(
          connect().tasks.getTask({ id: "missing-7" }),
          (error) => error instanceof ConnectError && error.code === Code.NotFound,
        );
      });

      it("fails with DeadlineExceeded when the server is slower than timeoutMs", async () => {
        await assert.rejects(
          connect(50).tasks.getTask({ id: slowTaskId }),
          (error) => error instanceof ConnectError && error.code === Code.DeadlineExceeded,
        );
      });
    });
  }

  it("sends the token option as a bearer authorization header", async () => {
    const client = createSherpaClient({
      baseUrl: server?.baseUrl ?? "",
      token: () => testAuthorization.replace(/^Bearer /, ""),
    });
    const { task } = await client.tasks.getTask({ id: "task-8" });
    assert.equal(task?.id, "task-8");
  });

  it("does not read SHERPA_TOKEN, which browsers do not have", async () => {
    const saved = process.env.SHERPA_TOKEN;
    process.env.SHERPA_TOKEN = testAuthorization.replace(/^Bearer /, "");
    try {
      const client = createSherpaClient({ baseUrl: server?.baseUrl ?? "" });
      await assert.rejects(
        client.tasks.getTask({ id: "task-9" }),
        (error) => error instanceof ConnectError && error.code === Code.Unauthenticated,
      );
    } finally {
      if (saved === undefined) {
        delete process.env.SHERPA_TOKEN;
      } else {
        process.env.SHERPA_TOKEN = saved;
      }
    }
  });

  it('refuses protocol "grpc", which browsers cannot speak', () => {
    assert.throws(
      () => createSherpaClient({ baseUrl: "https://sherpa.example.com", protocol: "grpc" }),
      {
        message: /"grpc-web" or "connect"/,
      },
    );
  });
});

// A bundler building for browsers fails on Node.js modules, so the browser entry's
// import graph may only reach packages that run in browsers.
describe("browser entry imports", () => {
  const browserPackages = new Set([
    "@bufbuild/protobuf",
    "@connectrpc/connect",
    "@connectrpc/connect-web",
    "@sherpa/proto",
  ]);

  it("reach no Node.js module", async () => {
    const packages = await collectPackageImports(new URL("./browser.ts", import.meta.url));
    const nodeOnly = [...packages].filter((specifier) => !browserPackages.has(specifier));
    assert.deepEqual(nodeOnly, []);
  });
});

async function collectPackageImports(entry: URL): Promise<Set<string>> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file.href)) {
      continue;
    }
    seen.add(file.href);
    const source = await readFile(file, "utf8");
    for (const [, specifier = ""] of source.matchAll(/\bfrom\s+"([^"]+)"/g)) {
      if (specifier.startsWith(".")) {
        pending.push(new URL(specifier.replace(/\.js$/, ".ts"), file));
      } else {
        packages.add(specifier);
      }
    }
  }
  return packages;
}
