/** Polls `check` until it holds; the page updates by itself, so there is nothing else to wait on. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  pollMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
