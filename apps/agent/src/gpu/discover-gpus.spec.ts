import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createRecordingLogger } from "../testing/create-recording-logger.js";
import { discoverGpus } from "./discover-gpus.js";

const fixtures = fileURLToPath(new URL("fixtures/", import.meta.url));
const expectedArgs =
  "--query-gpu=index,uuid,name,memory.total,utilization.gpu,memory.used --format=csv,noheader,nounits";

describe("discoverGpus", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "sherpa-discover-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes a fake nvidia-smi that runs `body` when called with the expected arguments. */
  async function fakeNvidiaSmi(name: string, body: string): Promise<string> {
    const path = join(dir, name);
    const script = `#!/bin/sh\n[ "$*" = "${expectedArgs}" ] || { echo "unexpected arguments: $*" >&2; exit 64; }\n${body}\n`;
    await writeFile(path, script);
    await chmod(path, 0o755);
    return path;
  }

  it("serves the real GPUs when nvidia-smi works, even with a simulation configured", async () => {
    const nvidiaSmi = await fakeNvidiaSmi(
      "a100",
      `cat '${join(fixtures, "nvidia-a100-sxm4-80gb.csv")}'`,
    );
    const inventory = await discoverGpus({
      nodeName: "node-a",
      nvidiaSmi,
      simulated: "2xTesla T4",
    });
    assert.equal(inventory.simulated, false);
    assert.deepEqual(
      inventory.gpus.map((gpu) => [gpu.index, gpu.model]),
      [
        [0, "NVIDIA A100-SXM4-80GB"],
        [1, "NVIDIA A100-SXM4-80GB"],
        [2, "NVIDIA A100-SXM4-80GB"],
      ],
    );
  });

  it("measures the real GPUs again on demand", async () => {
    const counter = join(dir, "calls");
    const nvidiaSmi = await fakeNvidiaSmi(
      "changing",
      `n=$(cat '${counter}' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '${counter}'\necho "0, GPU-x, Tesla T4, 15360, $((n * 10)), 100"`,
    );
    const inventory = await discoverGpus({ nodeName: "node-a", nvidiaSmi });
    assert.equal(inventory.gpus[0]?.utilizationPercent, 10);
    const measured = await inventory.measureGpus?.();
    assert.equal(measured?.[0]?.utilizationPercent, 20);
  });

  it("serves the simulated inventory, marked simulated, when nvidia-smi is absent", async () => {
    const logger = createRecordingLogger();
    const inventory = await discoverGpus({
      nodeName: "node-a",
      nvidiaSmi: join(dir, "not-installed"),
      simulated: "4xNVIDIA A100-SXM4-80GB",
      logger,
    });
    assert.equal(inventory.simulated, true);
    assert.equal(inventory.gpus.length, 4);
    assert.equal(inventory.measureGpus, undefined);
    assert.ok(logger.lines.some((line) => line.message === "serving simulated GPUs"));
  });

  const brokenCases: { name: string; body: string; warning: RegExp }[] = [
    {
      name: "nvidia-smi fails",
      body: `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." ; exit 9`,
      warning: /exited with code 9: NVIDIA-SMI has failed because it couldn.t communicate/,
    },
    {
      name: "nvidia-smi prints something unexpected",
      body: "echo 'No devices were found, or so'",
      warning: /line 1/,
    },
    { name: "nvidia-smi hangs", body: "exec sleep 5", warning: /did not answer within 300 ms/ },
  ];
  for (const { name, body, warning } of brokenCases) {
    it(`falls back to the simulation, with a warning, when ${name}`, async () => {
      const logger = createRecordingLogger();
      const inventory = await discoverGpus({
        nodeName: "node-a",
        nvidiaSmi: await fakeNvidiaSmi(name.replaceAll(" ", "-"), body),
        simulated: "1xTesla T4",
        nvidiaSmiTimeoutMs: 300,
        logger,
      });
      assert.equal(inventory.simulated, true);
      assert.equal(inventory.gpus.length, 1);
      const warned = logger.lines.find((line) => line.level === "warn");
      assert.ok(warned !== undefined);
      assert.match(String((warned.fields as { err?: string }).err), warning);
    });
  }

  it("is a CPU-only node, and says so, with neither nvidia-smi nor a simulation", async () => {
    const logger = createRecordingLogger();
    const inventory = await discoverGpus({
      nodeName: "node-a",
      nvidiaSmi: join(dir, "not-installed"),
      logger,
    });
    assert.deepEqual(inventory, { gpus: [], simulated: false });
    assert.ok(logger.lines.some((line) => /CPU-only node/.test(line.message)));
  });

  it("rejects an invalid simulated inventory even when it would not be used", async () => {
    const nvidiaSmi = await fakeNvidiaSmi("t4", `cat '${join(fixtures, "tesla-t4.csv")}'`);
    await assert.rejects(
      discoverGpus({ nodeName: "node-a", nvidiaSmi, simulated: "0xTesla T4" }),
      /is not COUNTxMODEL/,
    );
  });
});
