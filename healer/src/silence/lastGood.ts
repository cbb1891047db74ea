/**
 * A value re-read every acting cycle that fails closed: until one read has succeeded there is
 * nothing to act on, and after a good read the last value is trusted through at most `tolerated`
 * consecutive failed reads (a blip), not through an outage. The kill switch and the silences both
 * read a ConfigMap this way: what a person asked for must be known before the healer acts.
 */
export const TOLERATED_FAILED_READS = 2;

export type Read<T> =
  { ok: true; value: T; error?: string } | { ok: false; error: string; why: string };

export class LastGood<T> {
  private value: T | undefined;
  private has = false;
  private failures = 0;

  constructor(private readonly tolerated = TOLERATED_FAILED_READS) {}

  good(value: T): Read<T> {
    this.value = value;
    this.has = true;
    this.failures = 0;
    return { ok: true, value };
  }

  failed(error: string): Read<T> {
    this.failures += 1;
    if (this.has && this.failures <= this.tolerated)
      return { ok: true, value: this.value as T, error };
    const why = this.has
      ? `${this.failures} reads in a row failed`
      : 'it has never been read successfully';
    return { ok: false, error, why };
  }
}
