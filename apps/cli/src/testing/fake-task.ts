import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Task, TaskSchema, TaskState } from "@sherpa/proto";
import { testNowMs } from "./run-captured.js";

/**
 * A task as a server would return it: "t-1", named "train" in queue "default",
 * owned by "alice", pending since five minutes before `testNowMs`, changed by `init`.
 */
export function fakeTask(init: MessageInitShape<typeof TaskSchema> = {}): Task {
  return create(TaskSchema, {
    id: "t-1",
    queue: "default",
    name: "train",
    owner: "alice",
    argv: ["python", "train.py"],
    state: TaskState.PENDING,
    createTime: timestampFromMs(testNowMs - 5 * 60_000),
    ...init,
  });
}
