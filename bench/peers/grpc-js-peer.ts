import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { announcePorts, exitOnSigterm, readPeerArguments } from "./peer-arguments.js";

// The grpc-js peer: TaskService and grpc.health.v1.Health from the .proto
// sources through proto-loader, as a grpc-js user writes a server. Canned
// responses are decoded once and serialised by grpc-js for every call.
const { canned, repoRoot } = readPeerArguments(process.argv);
const definitions = loadSync(["sherpa/v1/task.proto", "grpc/health/v1/health.proto"], {
  includeDirs: [join(repoRoot, "proto"), join(repoRoot, "proto-vendor")],
});
const taskService = definitions["sherpa.v1.TaskService"] as grpc.ServiceDefinition;
const healthService = definitions["grpc.health.v1.Health"] as grpc.ServiceDefinition;

function decoded(service: grpc.ServiceDefinition, method: string, bytes: Uint8Array): object {
  const definition = service[method];
  if (definition === undefined) {
    throw new Error(`no method ${method}`);
  }
  return definition.responseDeserialize(Buffer.from(bytes)) as object;
}

const getTask = decoded(taskService, "GetTask", canned.getTask);
const submitTask = decoded(taskService, "SubmitTask", canned.submitTask);
const logBatch = decoded(taskService, "StreamTaskLogs", canned.logBatch);
const watchTasks = decoded(taskService, "WatchTasks", canned.watchTasks);
const healthCheck = decoded(healthService, "Check", canned.healthCheck);

async function streamTaskLogs(call: grpc.ServerWritableStream<object, object>) {
  const cancelled = new Promise((resolve) => call.once("cancelled", resolve));
  for (let sent = 0; sent < canned.logBatches && !call.cancelled; sent++) {
    if (!call.write(logBatch)) {
      await Promise.race([new Promise((resolve) => call.once("drain", resolve)), cancelled]);
    }
  }
  call.end();
}

const server = new grpc.Server();
server.addService(taskService, {
  GetTask: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, getTask),
  SubmitTask: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, submitTask),
  StreamTaskLogs: streamTaskLogs,
  // One event, then the stream stays open until the client cancels it.
  WatchTasks: (call: grpc.ServerWritableStream<object, object>) => call.write(watchTasks),
});
server.addService(healthService, {
  Check: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, healthCheck),
});
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) {
    throw error;
  }
  announcePorts({ h2: port });
});
exitOnSigterm();
