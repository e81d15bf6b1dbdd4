import assert from "node:assert/strict";
import { Code, type ConnectError } from "@connectrpc/connect";
import { rejectsWithCode } from "@sherpa/kit/testing";
import { BadRequestSchema, ErrorInfoSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";

/**
 * Asserts that `call` fails with InvalidArgument whose google.rpc.BadRequest
 * detail names exactly `fields` (in any order), and whose message names each.
 */
export async function rejectsWithViolations(
  call: Promise<unknown>,
  fields: readonly string[],
): Promise<ConnectError> {
  const error = await rejectsWithCode(call, Code.InvalidArgument);
  const violations = error.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations);
  assert.deepEqual(violations.map((v) => v.field).sort(), [...fields].sort());
  for (const violation of violations) {
    assert.notEqual(
      violation.description,
      "",
      `violation of ${violation.field} has no description`,
    );
  }
  for (const field of fields) {
    assert.ok(
      error.rawMessage.includes(`${field}: `),
      `message "${error.rawMessage}" does not name ${field}`,
    );
  }
  return error;
}

/**
 * Asserts that `call` fails with `code` and a google.rpc.ErrorInfo detail of
 * domain sherpa.dev with `reason`; returns the error for further checks.
 */
export async function rejectsWithReason(
  call: Promise<unknown>,
  code: Code,
  reason: string,
): Promise<ConnectError> {
  const error = await rejectsWithCode(call, code);
  const [info] = error.findDetails(ErrorInfoSchema);
  assert.deepEqual(info && { reason: info.reason, domain: info.domain }, {
    reason,
    domain: "sherpa.dev",
  });
  return error;
}
