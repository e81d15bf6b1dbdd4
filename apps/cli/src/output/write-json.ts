import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { type TextSink, writeLine } from "../cli-io.js";

/** Writes `message` as protobuf JSON on one line, so that streams and lists read as JSON Lines. */
export function writeJson<Desc extends DescMessage>(
  sink: TextSink,
  schema: Desc,
  message: MessageShape<Desc>,
): void {
  writeLine(sink, JSON.stringify(toJson(schema, message)));
}
