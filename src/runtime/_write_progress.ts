/**
 * How far a stream's writes have reached the kernel, for `ByteStream.flushed()`: every adapter
 * counts something monotonic (bytes, or write callbacks on Node) and lets callers wait until the
 * count reaches the mark it had when they asked. One implementation for the three socket adapters.
 *
 * @module
 */

/** Why a waiter's bytes will never be sent. */
export function unsentError(): Error {
  return new Error("The socket closed before everything written to it was sent");
}

/** Callers waiting until a monotonic write count reaches their mark. */
export class WriteProgress {
  #waiters: Array<{ mark: number; resolve(): void; reject(e: Error): void }> = [];

  /**
   * Resolves once {@linkcode reached} is called with a count of at least `mark`.
   * @param mark The count that covers everything written so far.
   * @returns The promise; it rejects when {@linkcode fail} runs first.
   */
  until(mark: number): Promise<void> {
    return new Promise((resolve, reject) => this.#waiters.push({ mark, resolve, reject }));
  }

  /**
   * The kernel has taken writes up to `count`: settle the waiters it covers (marks only grow, so
   * they are in order).
   * @param count The count reached.
   */
  reached(count: number): void {
    while (this.#waiters.length > 0 && this.#waiters[0].mark <= count) this.#waiters.shift()!.resolve();
  }

  /**
   * The stream failed or closed: what waits will not be sent.
   * @param e The reason (default {@linkcode unsentError}).
   */
  fail(e: Error = unsentError()): void {
    for (const w of this.#waiters.splice(0)) w.reject(e);
  }
}
