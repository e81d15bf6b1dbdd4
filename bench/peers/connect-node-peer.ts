import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fromBinary } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  GetTaskResponseSchema,
  StreamTaskLogsResponseSchema,
  SubmitTaskResponseSchema,
  TaskService,
  WatchTasksResponseSchema,
} from "@sherpa/proto";
import { Health, HealthCheckResponseSchema } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { announcePorts, exitOnSigterm, readPeerArguments } from "./peer-arguments.js";

// The bare connect-node peer: Sherpa's RPC stack (connect-es on node:http and
// node:http2) with nothing added: no Fastify, interceptors, auth, logging or
// metrics. Canned responses are decoded once and serialised for every call.
const { canned } = readPeerArguments(process.argv);
const getTask = fromBinary(GetTaskResponseSchema, canned.getTask);
const submitTask = fromBinary(SubmitTaskResponseSchema, canned.submitTask);
const logBatch = fromBinary(StreamTaskLogsResponseSchema, canned.logBatch);
const watchTasks = fromBinary(WatchTasksResponseSchema, canned.watchTasks);
const healthCheck = fromBinary(HealthCheckResponseSchema, canned.healthCheck);

function routes(router: ConnectRouter) {
  router.service(TaskService, {
    getTask: () => getTask,
    submitTask: () => submitTask,
    async *streamTaskLogs() {
      for (let sent = 0; sent < canned.logBatches; sent++) {
        yield logBatch;
      }
    },
    // One event, then the stream stays open until the client cancels it.
    async *watchTasks(_request, context) {
      yield watchTasks;
      await once(context.signal, "abort");
    },
  });
  router.service(Health, { check: () => healthCheck });
}

const handler = connectNodeAdapter({ routes });
// Connect over HTTP/1.1 needs its own port: node:http2 speaks only h2c in cleartext.
const h2Server = http2.createServer(handler).listen(0, "127.0.0.1");
const h1Server = http.createServer(handler).listen(0, "127.0.0.1");
await Promise.all([once(h2Server, "listening"), once(h1Server, "listening")]);
announcePorts({
  h2: (h2Server.address() as AddressInfo).port,
  h1: (h1Server.address() as AddressInfo).port,
});
exitOnSigterm();
