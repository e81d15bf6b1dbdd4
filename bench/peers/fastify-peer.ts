import Fastify from "fastify";
import { announcePorts, exitOnSigterm, readPeerArguments } from "./peer-arguments.js";

// The plain Fastify peer: one JSON route at the Connect path of GetTask over
// HTTP/1.1, answering the canned response as an object that Fastify
// serialises for every call, with its logger off.
const { canned } = readPeerArguments(process.argv);
const app = Fastify({ logger: false });
app.post("/sherpa.v1.TaskService/GetTask", async () => canned.getTaskJson);
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
announcePorts({ h1: typeof address === "object" && address !== null ? address.port : 0 });
exitOnSigterm();
