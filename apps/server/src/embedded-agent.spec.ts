import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildServer, type SherpaServer } from "./build-server.js";
import { loadConfig } from "./config.js";

describe("the embedded agent", () => {
  let server: SherpaServer;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "sherpa-embedded-agent-"));
    // A stand-in for nvidia-smi that reports one Tesla T4, as the real one prints it.
    const fakeNvidiaSmi = join(dataDir, "fake-nvidia-smi");
    await writeFile(
      fakeNvidiaSmi,
      "#!/bin/sh\necho '0, GPU-39cd9454-0976-646a-acef-01a35ad02034, Tesla T4, 15360, 0, 0'\n",
    );
    await chmod(fakeNvidiaSmi, 0o755);
    const loaded = loadConfig([], {
      SHERPA_DATA_DIR: dataDir,
      SHERPA_LOG_LEVEL: "silent",
      SHERPA_CLI_PROFILE: "none",
      SHERPA_NODE_NAME: "embedded",
      SHERPA_AGENT_NVIDIA_SMI: fakeNvidiaSmi,
      SHERPA_AGENT_GPUS: "4xNVIDIA A100-SXM4-80GB",
    });
    assert.equal(loaded.kind, "config");
    server = await buildServer(loaded.config);
    await server.app.ready();
  });
  after(async () => {
    await server.app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("asks the configured SHERPA_AGENT_NVIDIA_SMI for GPUs instead of simulating", async () => {
    const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
    const getNode = () =>
      server.app.inject({
        method: "POST",
        url: "/sherpa.v1.NodeService/GetNode",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        payload: { name: "embedded" },
      });
    let response = await getNode();
    // The agent registers once the app is ready, a moment after ready() resolves.
    for (let attempt = 0; attempt < 100 && response.statusCode === 404; attempt++) {
      await sleep(20);
      response = await getNode();
    }
    assert.equal(response.statusCode, 200, response.body);
    const { node } = response.json();
    assert.equal(node.simulated ?? false, false);
    assert.deepEqual(
      node.gpus.map((gpu: { model: string; uuid: string }) => [gpu.model, gpu.uuid]),
      [["Tesla T4", "GPU-39cd9454-0976-646a-acef-01a35ad02034"]],
    );
  });
});
