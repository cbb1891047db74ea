/**
 * A client loaded on first use: the Slack clients are imported with the first message, so a
 * healer that never posts does not carry them (`@slack/web-api` ~8 MB resident, `@slack/webhook`
 * ~4 MB). Concurrent first calls share one load; a failed load (the import or the client's
 * construction) is not kept: the next call tries again.
 */
export function lazily<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
}
