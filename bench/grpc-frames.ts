/** Length of the prefix of every gRPC message: a flags byte and a 32-bit big-endian length. */
const prefixLength = 5;

/** Wraps one message in the gRPC length prefix (uncompressed). */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(prefixLength + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, prefixLength);
  return frame;
}

/**
 * Splits a gRPC response body, fed in chunks as they arrive, into messages;
 * `onMessage` gets each one without its prefix.
 */
export function createGrpcFrameReader(onMessage: (message: Buffer) => void) {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= prefixLength) {
      const end = prefixLength + pending.readUInt32BE(1);
      if (pending.length < end) {
        break;
      }
      onMessage(pending.subarray(prefixLength, end));
      pending = pending.subarray(end);
    }
  };
}
