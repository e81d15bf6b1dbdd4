import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { GpuInfo } from "./gpu-info.js";
import { parseNvidiaSmiCsv } from "./parse-nvidia-smi-csv.js";

const mib = 1024n * 1024n;

function fixture(name: string): string {
  return readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
}

describe("parseNvidiaSmiCsv", () => {
  const recordings: { file: string; expected: GpuInfo[] }[] = [
    {
      file: "nvidia-h100-80gb-hbm3.csv",
      expected: [
        {
          index: 0,
          uuid: "GPU-00000000-0000-0000-0000-000000000000",
          model: "NVIDIA H100 80GB HBM3",
          memoryBytes: 81559n * mib,
          utilizationPercent: 100,
          memoryUsedBytes: 19818n * mib,
        },
      ],
    },
    {
      file: "nvidia-h100-80gb-hbm3-mig.csv",
      expected: [
        {
          index: 0,
          uuid: "GPU-00000000-0000-0000-0000-000000000000",
          model: "NVIDIA H100 80GB HBM3",
          memoryBytes: 81559n * mib,
          memoryUsedBytes: 59n * mib,
        },
      ],
    },
    {
      file: "nvidia-a100-sxm4-80gb.csv",
      expected: [
        {
          index: 0,
          uuid: "GPU-513536b6-7d19-9063-b049-1e69664bb298",
          model: "NVIDIA A100-SXM4-80GB",
          memoryBytes: 81920n * mib,
          utilizationPercent: 100,
          memoryUsedBytes: 7488n * mib,
        },
        {
          index: 1,
          uuid: "GPU-d8594bd4-0fc3-8595-e355-7c98138f3b95",
          model: "NVIDIA A100-SXM4-80GB",
          memoryBytes: 81920n * mib,
          utilizationPercent: 100,
          memoryUsedBytes: 7500n * mib,
        },
        {
          index: 2,
          uuid: "GPU-5e375e7e-b41f-155b-dcdc-534524c356fc",
          model: "NVIDIA A100-SXM4-80GB",
          memoryBytes: 81920n * mib,
          utilizationPercent: 99,
          memoryUsedBytes: 7500n * mib,
        },
      ],
    },
    {
      file: "tesla-v100-sxm2-16gb.csv",
      expected: [0, 1].map((index) => ({
        index,
        uuid: [
          "GPU-29017365-4723-b07f-2ddf-a631c231412d",
          "GPU-42d2dd5c-081a-8adb-dc79-d678ac17f5e2",
        ][index] as string,
        model: "Tesla V100-SXM2-16GB",
        memoryBytes: 16384n * mib,
        utilizationPercent: 0,
        memoryUsedBytes: 5n * mib,
      })),
    },
    {
      file: "tesla-t4.csv",
      expected: [
        {
          index: 0,
          uuid: "GPU-39cd9454-0976-646a-acef-01a35ad02034",
          model: "Tesla T4",
          memoryBytes: 15360n * mib,
          utilizationPercent: 0,
          memoryUsedBytes: 0n,
        },
      ],
    },
    {
      file: "nvidia-geforce-rtx-4090.csv",
      expected: [
        {
          index: 0,
          uuid: "GPU-00000000-0000-0000-0000-000000000000",
          model: "NVIDIA GeForce RTX 4090",
          memoryBytes: 24564n * mib,
          utilizationPercent: 0,
          memoryUsedBytes: 507n * mib,
        },
        {
          index: 1,
          uuid: "GPU-00000000-0000-0000-0000-000000000001",
          model: "NVIDIA GeForce RTX 4090",
          memoryBytes: 24564n * mib,
          utilizationPercent: 0,
          memoryUsedBytes: 459n * mib,
        },
      ],
    },
  ];
  for (const { file, expected } of recordings) {
    it(`reads the recording ${file}`, () => {
      assert.deepEqual(parseNvidiaSmiCsv(fixture(file)), expected);
    });
  }

  it("treats unsupported measurements as unknown, whatever nvidia-smi calls them", () => {
    const [gpu] = parseNvidiaSmiCsv(
      "0, GPU-1, NVIDIA GeForce GTX 1080, 8119, [Not Supported], [N/A]\n",
    );
    assert.equal(gpu?.utilizationPercent, undefined);
    assert.equal(gpu?.memoryUsedBytes, undefined);
    assert.equal(gpu?.memoryBytes, 8119n * mib);
  });

  it("tolerates blank lines, CRLF and extra spaces", () => {
    const gpus = parseNvidiaSmiCsv(
      "\r\n  0 ,  GPU-a ,  Tesla T4 ,  15360 ,  3 ,  12  \r\n\n1,GPU-b,Tesla T4,15360,0,0\n\n",
    );
    assert.deepEqual(
      gpus.map((gpu) => [gpu.index, gpu.uuid, gpu.model, gpu.utilizationPercent]),
      [
        [0, "GPU-a", "Tesla T4", 3],
        [1, "GPU-b", "Tesla T4", 0],
      ],
    );
  });

  it("returns no GPUs for empty output", () => {
    assert.deepEqual(parseNvidiaSmiCsv(""), []);
  });

  const malformed: { name: string; text: string; message: RegExp }[] = [
    {
      name: "a line with too few fields",
      text: "0, GPU-a, Tesla T4, 15360, 0, 0\n1, GPU-b, Tesla T4\n",
      message: /line 2 .*expected 6 fields, got 3/,
    },
    {
      name: "a header line (csv without noheader)",
      text: "index, uuid, name, memory.total [MiB], utilization.gpu [%], memory.used [MiB]\n",
      message: /line 1 .*index must be a whole number/,
    },
    {
      name: "units left in (csv without nounits)",
      text: "0, GPU-a, Tesla T4, 15360 MiB, 0 %, 0 MiB\n",
      message: /line 1 .*memory.total must be a whole number or \[N\/A\], got "15360 MiB"/,
    },
    {
      name: "an error message instead of data",
      text: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
      message: /line 1 .*expected 6 fields, got 1/,
    },
  ];
  for (const { name, text, message } of malformed) {
    it(`rejects ${name}, naming the line`, () => {
      assert.throws(() => parseNvidiaSmiCsv(text), message);
    });
  }
});
