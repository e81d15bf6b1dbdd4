const labelKeyPattern = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

/** Longest label value the server accepts. */
export const maxLabelValueLength = 256;

/**
 * Most labels one thing (a task, a node, a node selector, a join token, a
 * list filter) may have, so that a label map stays small (keys and values
 * are bounded too) and its rows and query parameters few.
 */
export const maxLabelCount = 64;

/** What a label list may be, for messages about a bad one. */
export const labelListAllowed = `empty or key=value,key2=value2: at most ${maxLabelCount} labels, with distinct keys of 1 to 63 letters, digits, '.', '_', '/', '-' (starting with a letter or digit) and values of at most ${maxLabelValueLength} characters`;

/** Why a label map of `count` labels is too large; undefined when it is not. */
export function labelCountProblem(count: number): string | undefined {
  return count > maxLabelCount
    ? `at most ${maxLabelCount} labels are allowed; got ${count}`
    : undefined;
}

/**
 * Why `key` and `value` cannot be a label; undefined when they can. The
 * server checks every label it is given (tasks, node selectors, nodes) with
 * this rule, so a label the parsers below accept is never refused later.
 */
export function labelProblem(key: string, value: string): string | undefined {
  if (!labelKeyPattern.test(key)) {
    return "label keys are 1 to 63 letters, digits, '.', '_', '-' or '/', starting with a letter or digit";
  }
  if (value.length > maxLabelValueLength) {
    return `label values are at most ${maxLabelValueLength} characters`;
  }
  return undefined;
}

/**
 * The labels of a list, or what is wrong with it, phrased to follow the name
 * of the option or setting it came from: `--labels must be KEY=VALUE, got "b"`.
 */
export type LabelList = { labels: Record<string, string> } | { problem: string };

/**
 * Reads a label list, `key=value,key2=value2`: blank entries are skipped,
 * spaces around keys and values dropped, and a value is everything after the
 * first "=" (it may contain "="). Every label must pass {@link labelProblem},
 * no key may come twice, and there may be at most {@link maxLabelCount}.
 */
export function readLabelList(text: string): LabelList {
  const labels: Record<string, string> = {};
  for (const entry of text.split(",").map((part) => part.trim())) {
    if (entry === "") {
      continue;
    }
    const separator = entry.indexOf("=");
    const key = entry.slice(0, separator).trim();
    if (separator === -1 || key === "") {
      return { problem: `must be KEY=VALUE, got "${entry}"` };
    }
    const value = entry.slice(separator + 1).trim();
    const problem = labelProblem(key, value);
    if (problem !== undefined) {
      return { problem: `has a label "${entry}" that is not allowed: ${problem}` };
    }
    if (Object.hasOwn(labels, key)) {
      return { problem: `gives the label key "${key}" twice` };
    }
    labels[key] = value;
  }
  const countProblem = labelCountProblem(Object.keys(labels).length);
  if (countProblem !== undefined) {
    return { problem: `has too many labels: ${countProblem}` };
  }
  return { labels };
}

/**
 * {@link readLabelList} as a settings-table parser: the labels, or undefined
 * for a list that is not allowed ({@link labelListAllowed} says what is).
 */
export function parseLabels(text: string): Record<string, string> | undefined {
  const list = readLabelList(text);
  return "labels" in list ? list.labels : undefined;
}
