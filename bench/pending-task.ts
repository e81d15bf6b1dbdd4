import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SubmitTaskRequestSchema } from "@sherpa/proto";

/**
 * A task no node can run, since no GPU has its model: it stays PENDING, so
 * submitting many runs nothing on the embedded agent.
 */
export const pendingTaskRequest: MessageInitShape<typeof SubmitTaskRequestSchema> = {
  name: "bench",
  argv: ["python", "train.py", "--epochs", "10"],
  gpuCount: 1,
  gpuModel: "bench-no-such-gpu",
  labels: { purpose: "bench" },
};
