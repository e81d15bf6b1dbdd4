import { labelCountProblem, labelProblem } from "@sherpa/kit";
import type { FieldViolations } from "./field-violations.js";

/** Largest page a List RPC returns. */
export const maxPageSize = 1000;

/** Page size used when a List request leaves page_size at 0. */
export const defaultPageSize = 100;

const resourceNamePattern = /^[a-z][a-z0-9-]{0,62}$/;
const maxRequestIdLength = 128;

/** Checks a queue or resource group name; an empty one is reported as missing. */
export function checkResourceName(violations: FieldViolations, field: string, name: string): void {
  if (name === "") {
    violations.add(field, "is required");
  } else if (!resourceNamePattern.test(name)) {
    violations.add(
      field,
      `"${name}" is not a valid name: use 1 to 63 lowercase letters, digits or dashes, starting with a letter`,
    );
  }
}

/** Checks that a required string field is set. */
export function checkRequired(violations: FieldViolations, field: string, value: string): void {
  if (value === "") {
    violations.add(field, "is required");
  }
}

/** Resolves page_size: 0 means the default; beyond 1 to 1000 is an error. */
export function checkPageSize(violations: FieldViolations, pageSize: number): number {
  if (pageSize < 0 || pageSize > maxPageSize) {
    violations.add(
      "page_size",
      `must be between 1 and ${maxPageSize} (or 0 for ${defaultPageSize}); got ${pageSize}`,
    );
  }
  return pageSize === 0 ? defaultPageSize : pageSize;
}

/**
 * Checks a label map (of a task, a node, a list filter, a node selector or a
 * join token) by the rules the settings' and the CLI's label parsers use too:
 * at most maxLabelCount labels, each key and value well formed. A map over
 * the count is one violation, whatever its labels.
 */
export function checkLabels(
  violations: FieldViolations,
  field: string,
  labels: Record<string, string>,
): void {
  const entries = Object.entries(labels);
  const countProblem = labelCountProblem(entries.length);
  if (countProblem !== undefined) {
    violations.add(field, countProblem);
    return;
  }
  for (const [key, value] of entries) {
    const problem = labelProblem(key, value);
    if (problem !== undefined) {
      violations.add(`${field}[${key}]`, problem);
    }
  }
}

/** Checks an optional request_id. */
export function checkRequestId(violations: FieldViolations, requestId: string): void {
  if (requestId.length > maxRequestIdLength) {
    violations.add("request_id", `must be at most ${maxRequestIdLength} characters`);
  }
}

/** Checks a free-text field's length. */
export function checkMaxLength(
  violations: FieldViolations,
  field: string,
  value: string,
  maxLength: number,
): void {
  if (value.length > maxLength) {
    violations.add(field, `must be at most ${maxLength} characters; got ${value.length}`);
  }
}

/**
 * Maps a repeated enum filter (such as `states`) to domain values, reporting
 * UNSPECIFIED and unknown numbers as violations of `field[index]`.
 */
export function checkEnumFilter<Message extends number, Domain>(
  violations: FieldViolations,
  field: string,
  values: readonly Message[],
  fromMessage: (value: Message) => Domain | undefined,
): Domain[] {
  return values.flatMap((value, index) => {
    const domainValue = fromMessage(value);
    if (domainValue === undefined) {
      violations.add(`${field}[${index}]`, `${value} is not a valid value`);
      return [];
    }
    return [domainValue];
  });
}
