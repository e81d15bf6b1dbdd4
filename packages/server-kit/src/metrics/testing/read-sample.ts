import type { Registry } from "prom-client";

const sampleLine = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/;
const labelPair = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/**
 * The value of the sample `name` with exactly `labels` in the text Prometheus
 * would scrape from `registry`, or undefined when there is no such sample.
 */
export async function readSample(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  for (const line of (await registry.metrics()).split("\n")) {
    const [, sampleName, labelText = "", value] = sampleLine.exec(line) ?? [];
    if (sampleName !== name) {
      continue;
    }
    const found = [...labelText.matchAll(labelPair)].map(([, key, labelValue]) => [
      key,
      labelValue,
    ]);
    if (JSON.stringify(found.sort()) === wanted) {
      return Number(value);
    }
  }
  return undefined;
}
