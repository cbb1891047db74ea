/**
 * One spare buffer for the large columnar answers: an answer is written into the last one's
 * buffer once that answer was handed to the socket, instead of into a new one. A 10,000-row
 * answer's 4 MB of new memory were faulted in page by page (~1,000 page faults) and counted
 * against the collector's external-memory budget on every request.
 */
export class AnswerBuffer {
  private spare: Buffer | undefined;

  /** `minBytes`: a smaller buffer is not kept (not worth it, and it may be Node's pool). */
  constructor(private readonly minBytes = 1 << 20) {}

  /** The spare buffer, if there is one; it is no longer spare (one writer at a time). */
  take(): Buffer | undefined {
    const spare = this.spare;
    this.spare = undefined;
    return spare;
  }

  /**
   * `answer`'s whole buffer becomes the spare once `res` has handed it to the socket ('finish');
   * a response closed before that never gives it back.
   */
  keepWhenSent(
    res: { once(event: 'finish', listener: () => void): unknown },
    answer: Buffer,
  ): void {
    // Memory larger than Node's Buffer pool is not the pool (shared with other Buffers): it is
    // an answer's own, or the spare it was written into (a small answer gives that back too).
    const memory = answer.buffer;
    if (memory.byteLength < Math.max(this.minBytes, Buffer.poolSize + 1)) return;
    res.once('finish', () => {
      this.spare = Buffer.from(memory, answer.byteOffset, memory.byteLength - answer.byteOffset);
    });
  }
}
