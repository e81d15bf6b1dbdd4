import { Code, ConnectError } from "@connectrpc/connect";

/** Decodes base64 text that arrives in pieces of any length; see {@link createBase64Decoder}. */
export interface Base64Decoder {
  /** Decodes as much of the text received so far as makes whole bytes. */
  push(chunk: Uint8Array): Buffer;
  /** Throws unless the text ended on a whole quartet. */
  end(): void;
}

const base64Quartets = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Creates a decoder of standard base64 (RFC 4648, section 4) arriving in
 * network chunks that need not end on a quartet, where the sender may have
 * encoded and padded each of its own pieces separately, as gRPC-Web text
 * senders do. Throws InvalidArgument on anything else, which Node's lenient
 * decoder would silently skip.
 */
export function createBase64Decoder(): Base64Decoder {
  let pending = "";
  return {
    push(chunk) {
      pending += Buffer.from(chunk).toString("latin1");
      const whole = pending.length - (pending.length % 4);
      const text = pending.slice(0, whole);
      pending = pending.slice(whole);
      // Padding may end each of the sender's pieces, not only the last one.
      const pieces = text.split(/(?<==)(?!=)/);
      for (const piece of pieces) {
        if (!base64Quartets.test(piece)) {
          throw new ConnectError("gRPC-Web text body is not valid base64", Code.InvalidArgument);
        }
      }
      return Buffer.concat(pieces.map((piece) => Buffer.from(piece, "base64")));
    },
    end() {
      if (pending !== "") {
        throw new ConnectError(
          "gRPC-Web text body ends in the middle of a base64 quartet",
          Code.InvalidArgument,
        );
      }
    },
  };
}
