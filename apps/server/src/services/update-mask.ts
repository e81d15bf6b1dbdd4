import type { FieldMask } from "@bufbuild/protobuf/wkt";
import type { FieldViolations } from "./field-violations.js";

/**
 * Checks an update_mask against the fields an Update RPC may change and returns
 * the named paths. An empty mask is an error: an update must say what it changes.
 */
export function checkUpdateMask<Path extends string>(
  violations: FieldViolations,
  mask: FieldMask | undefined,
  updatable: readonly Path[],
): Set<Path> {
  const paths = mask?.paths ?? [];
  if (paths.length === 0) {
    violations.add(
      "update_mask",
      `is required: name the fields to change (${updatable.join(", ")})`,
    );
  }
  for (const path of paths) {
    if (!(updatable as readonly string[]).includes(path)) {
      violations.add(
        "update_mask",
        `"${path}" cannot be updated; updatable fields are ${updatable.join(", ")}`,
      );
    }
  }
  return new Set(
    paths.filter((path): path is Path => (updatable as readonly string[]).includes(path)),
  );
}
