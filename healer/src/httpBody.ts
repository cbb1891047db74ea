/**
 * Taking an HTTP answer's body out of axios' response, so that a keep-alive socket does not keep
 * it. axios' handlers stay on the socket's last request until the socket's next one, and through
 * them the response and its config: the answer and the request body stay reachable for a whole
 * cycle (the `/predict` call at 10,000 deployments: a 5.5 MB request body and its answer, seen
 * in a heap snapshot after the cycles; `bench/results/2026-12-01-healer-scale11*.json`).
 */

/** What of an axios response {@link takeBody} lets go of. */
export interface HeldResponse<T> {
  data: T | undefined;
  config?: { data?: unknown };
}

/** The response's body; the response keeps neither it nor the request body afterwards. */
export function takeBody<T>(res: HeldResponse<T>): T {
  const body = res.data as T;
  res.data = undefined;
  if (res.config) res.config.data = undefined;
  return body;
}
