import type { ResultRow } from "./result-row.js";

const sherpaName = "Sherpa";

/**
 * Formats rows as a markdown table, a case's rows together; the last column
 * divides Sherpa's value by the peer's (above 1: Sherpa's number is bigger,
 * which is better for rates and worse for memory and time).
 */
export function formatResultsTable(rows: readonly ResultRow[]): string {
  const lines = [
    "| Case | Server | Result | p50 | p99 | Sherpa ÷ server | Notes |",
    "| --- | --- | ---: | ---: | ---: | ---: | --- |",
  ];
  const sherpaValues = new Map(
    rows.filter((row) => row.server === sherpaName).map((row) => [row.caseTitle, row.value]),
  );
  for (const row of rows) {
    const sherpaValue = sherpaValues.get(row.caseTitle);
    const ratio =
      row.server === sherpaName || sherpaValue === undefined
        ? "—"
        : formatRatio(sherpaValue / row.value);
    lines.push(
      `| ${row.caseTitle} | ${row.server} | ${formatValue(row)} | ${formatMs(row.p50Ms)} | ${formatMs(row.p99Ms)} | ${ratio} | ${row.note} |`,
    );
  }
  return lines.join("\n");
}

function formatValue(row: ResultRow): string {
  if (Number.isNaN(row.value)) {
    return "failed";
  }
  const digits = row.unit === "MiB" || row.unit === "ms" ? 1 : 0;
  return `${row.value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${row.unit}`;
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) {
    return "—";
  }
  return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "—";
}
