import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSimulatedGpus } from "./parse-simulated-gpus.js";

const mib = 1024n * 1024n;

describe("parseSimulatedGpus", () => {
  it("numbers the GPUs of every entry in order, with known memory sizes", () => {
    const gpus = parseSimulatedGpus("2xNVIDIA H100 80GB HBM3, 2x Tesla T4", "node-a");
    assert.deepEqual(
      gpus.map(({ index, model, memoryBytes }) => ({ index, model, memoryBytes })),
      [
        { index: 0, model: "NVIDIA H100 80GB HBM3", memoryBytes: 81559n * mib },
        { index: 1, model: "NVIDIA H100 80GB HBM3", memoryBytes: 81559n * mib },
        { index: 2, model: "Tesla T4", memoryBytes: 15360n * mib },
        { index: 3, model: "Tesla T4", memoryBytes: 15360n * mib },
      ],
    );
  });

  const cases: { spec: string; count: number; model: string; memoryBytes: bigint }[] = [
    {
      spec: "4xNVIDIA A100-SXM4-80GB",
      count: 4,
      model: "NVIDIA A100-SXM4-80GB",
      memoryBytes: 81920n * mib,
    },
    {
      spec: "NVIDIA GeForce RTX 4090",
      count: 1,
      model: "NVIDIA GeForce RTX 4090",
      memoryBytes: 24564n * mib,
    },
    {
      spec: "8 x Tesla V100-SXM2-16GB",
      count: 8,
      model: "Tesla V100-SXM2-16GB",
      memoryBytes: 16384n * mib,
    },
    {
      spec: "2xnvidia h100 80gb hbm3",
      count: 2,
      model: "nvidia h100 80gb hbm3",
      memoryBytes: 81559n * mib,
    },
    { spec: "3xACME Imaginary 9000", count: 3, model: "ACME Imaginary 9000", memoryBytes: 0n },
  ];
  for (const { spec, count, model, memoryBytes } of cases) {
    it(`reads "${spec}"`, () => {
      const gpus = parseSimulatedGpus(spec, "node-a");
      assert.equal(gpus.length, count);
      assert.ok(gpus.every((gpu) => gpu.model === model && gpu.memoryBytes === memoryBytes));
    });
  }

  it("means no GPUs when empty", () => {
    assert.deepEqual(parseSimulatedGpus("", "node-a"), []);
    assert.deepEqual(parseSimulatedGpus(" , ", "node-a"), []);
  });

  it("gives stable UUIDs that differ between GPUs and between nodes", () => {
    const first = parseSimulatedGpus("2xTesla T4", "node-a").map((gpu) => gpu.uuid);
    const again = parseSimulatedGpus("2xTesla T4", "node-a").map((gpu) => gpu.uuid);
    const other = parseSimulatedGpus("2xTesla T4", "node-b").map((gpu) => gpu.uuid);
    assert.deepEqual(first, again);
    assert.notEqual(first[0], first[1]);
    assert.notEqual(first[0], other[0]);
    assert.match(
      first[0] ?? "",
      /^GPU-sim-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  const bad: { spec: string; message: RegExp }[] = [
    { spec: "0xTesla T4", message: /"0xTesla T4" is not COUNTxMODEL/ },
    { spec: "4x", message: /"4x" is not COUNTxMODEL/ },
    { spec: "2xTesla T4,1000xTesla T4", message: /at most 256 GPUs/ },
  ];
  for (const { spec, message } of bad) {
    it(`rejects "${spec}"`, () => {
      assert.throws(() => parseSimulatedGpus(spec, "node-a"), message);
    });
  }
});
