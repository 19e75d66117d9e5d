// Splits a TCP byte stream into DNS messages (two-byte length prefix, RFC 1035
// §4.2.2) in time linear in the bytes received and in memory bounded by what is
// pending, however the bytes are chunked:
//
// - the whole messages in a chunk stay in it and are handed out as views of it
//   (a chunk is kept while one of its messages is not handed out);
// - a message that does not end in the chunk where it starts is copied, as its
//   bytes come, into one buffer of the length its prefix announces (at most
//   65535 bytes plus the prefix), and the chunks that brought it are dropped.
//
// (Concatenating the pending bytes on every chunk made a message sent a byte at
// a time cost the square of its length; keeping every chunk until the message
// was whole made it cost some 220 bytes of memory per byte received, a Buffer
// per chunk: 20 connections trickling 64 KiB each took 280 MiB.)

export const LENGTH_PREFIX = 2;

export class MessageReader {
  /** Buffers of whole messages, prefixes included, not yet all handed out. */
  private readonly whole: Buffer[] = [];
  /** Bytes of whole[0] already handed out. */
  private offset = 0;
  /** The message being assembled, prefix included, and how much of it has come. */
  private partial: Buffer | undefined;
  private filled = 0;
  /** The first byte of a length prefix whose second has not come. */
  private high = -1;
  private held = 0;

  /** Bytes received and not yet handed out: a partial message, or whole ones not yet read. */
  get pending(): number {
    return this.held;
  }

  /** Buffers held (chunks with whole messages not yet handed out, and the message being assembled), and their bytes. */
  get retained(): { buffers: number; bytes: number } {
    let bytes = this.partial?.length ?? 0;
    for (const buffer of this.whole) bytes += buffer.length;
    return { buffers: this.whole.length + (this.partial === undefined ? 0 : 1), bytes };
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.held += chunk.length;
    let at = 0;
    if (this.high >= 0) {
      this.begin((this.high << 8) | chunk[0]);
      this.high = -1;
      at = 1;
    }
    if (this.partial !== undefined) {
      const copied = chunk.copy(this.partial, this.filled, at);
      this.filled += copied;
      at += copied;
      if (this.filled < this.partial.length) return;
      this.whole.push(this.partial);
      this.partial = undefined;
    }
    // The whole messages that follow, kept in the chunk.
    let end = at;
    while (chunk.length - end >= LENGTH_PREFIX) {
      const size = LENGTH_PREFIX + chunk.readUInt16BE(end);
      if (chunk.length - end < size) break;
      end += size;
    }
    if (end > at) this.whole.push(at === 0 && end === chunk.length ? chunk : chunk.subarray(at, end));
    // The start of one that is not whole yet: copied out, so that the chunk is not kept for it.
    if (end === chunk.length) return;
    if (chunk.length - end === 1) {
      this.high = chunk[end];
      return;
    }
    this.begin(chunk.readUInt16BE(end));
    this.filled = chunk.copy(this.partial!, 0, end);
  }

  /** The next whole message, without its length prefix, or undefined until one is in. */
  next(): Buffer | undefined {
    const first = this.whole[0];
    if (first === undefined) return undefined;
    const at = this.offset;
    const size = LENGTH_PREFIX + first.readUInt16BE(at);
    this.held -= size;
    this.offset = at + size;
    if (this.offset === first.length) {
      this.whole.shift();
      this.offset = 0;
    }
    return first.subarray(at + LENGTH_PREFIX, at + size);
  }

  /** Starts assembling a message of `length` bytes, its prefix written. */
  private begin(length: number): void {
    this.partial = Buffer.allocUnsafe(LENGTH_PREFIX + length);
    this.partial.writeUInt16BE(length, 0);
    this.filled = LENGTH_PREFIX;
  }
}
