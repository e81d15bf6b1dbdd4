import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { permissionsOf } from "./roles.js";

describe("permissionsOf", () => {
  it("gives each role what the one before it has, and more", () => {
    const viewer = permissionsOf("token", "viewer");
    const submitter = permissionsOf("token", "submitter");
    const operator = permissionsOf("token", "operator");
    const admin = permissionsOf("token", "admin");
    for (const [lower, higher] of [
      [viewer, submitter],
      [submitter, operator],
      [operator, admin],
    ] as const) {
      assert.ok([...lower].every((permission) => higher.has(permission)));
      assert.ok(higher.size > lower.size);
    }
  });

  it("gives a caller with no role nothing but WhoAmI (default deny)", () => {
    assert.deepEqual([...permissionsOf("oidc", undefined)], ["self.read"]);
  });

  it("keeps agents to the agent service and join tokens to enrolling", () => {
    assert.deepEqual([...permissionsOf("node", "admin")], ["agent.session"]);
    assert.deepEqual([...permissionsOf("embedded-agent", undefined)], ["agent.session"]);
    assert.deepEqual([...permissionsOf("join", "admin")], ["agent.enroll"]);
  });

  it("keeps env values, queues and tokens to admins", () => {
    assert.equal(permissionsOf("token", "operator").has("tasks.read-env"), false);
    assert.equal(permissionsOf("token", "operator").has("fleet.manage"), false);
    assert.equal(permissionsOf("token", "operator").has("access.manage"), false);
    assert.equal(permissionsOf("token", "admin").has("access.manage"), true);
  });
});
