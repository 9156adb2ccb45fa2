// The first bytes of a request body, read before the rest is, so an upload can be refused from
// its head while the client is still sending. Hand-written: a web ReadableStream cannot be
// peeked, and tee() would buffer the whole body for the branch that is not read.

export interface PeekedBody {
  /** Up to the bytes asked for; fewer only when the body is shorter. */
  head: Uint8Array;
  /** The whole body again: the chunks already read, then the rest, read only when pulled. */
  body: ReadableStream<Uint8Array>;
  /** Stops reading: what the client still sends is dropped by the server, never buffered. */
  cancel(): Promise<void>;
}

export async function peekBody(
  body: ReadableStream<Uint8Array>,
  bytes: number,
): Promise<PeekedBody> {
  const reader = body.getReader();
  const pending: Uint8Array[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await reader.read();
    if (next.done) {
      ended = true;
      break;
    }
    pending.push(next.value);
    length += next.value.byteLength;
  }
  const head = concat(pending, Math.min(length, bytes));
  return {
    head,
    body: new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const buffered = pending.shift();
          if (buffered) return controller.enqueue(buffered);
          if (ended) return controller.close();
          const next = await reader.read();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    ),
    cancel: () => reader.cancel(),
  };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= length) break;
    const part = chunk.subarray(0, length - offset);
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
