import { readLabelList } from "@sherpa/kit";
import { UsageError } from "../usage-error.js";

/**
 * Reads `--labels k=v,k2=v2` (repeatable) by the rule sherpa-agent's
 * SHERPA_NODE_LABELS and the server follow, so node labels given here mean
 * the same everywhere. Throws a UsageError naming `option` and what is wrong.
 */
export function parseLabelList(values: readonly string[], option: string): Record<string, string> {
  const list = readLabelList(values.join(","));
  if ("problem" in list) {
    throw new UsageError(`${option} ${list.problem}`);
  }
  return list.labels;
}
