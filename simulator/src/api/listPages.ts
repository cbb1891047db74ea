/**
 * A list served in pages (`limit` and `continue`), as the API server serves one: at most `limit`
 * objects in key order (namespace, then name, like etcd's keys), a `continue` token when more
 * follow, and every page with the resourceVersion of the first (one snapshot, as the real server
 * reads it from etcd; the simulator serves each page from its current state instead). A token
 * whose resourceVersion the store's history no longer reaches is answered 410 `Expired`, as the
 * real server answers a token older than etcd's compaction. Pure.
 */
import { ApiError, badRequest } from '../cluster/errors.js';
import type { KubeObject } from '../cluster/types.js';

/** What a continue token holds: the first page's resourceVersion and the last key served. */
interface Token {
  rv: number;
  after: string;
}

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * The page of `items` that `limit` and `continueToken` ask for (no limit: all of them).
 * `reachable(rv)`: whether the store can still serve from that resourceVersion.
 */
export function listPage(
  items: readonly KubeObject[],
  opts: { limit?: string | null; continue?: string | null },
  resourceVersion: string,
  reachable: (rv: number) => boolean,
): ListPage {
  const limit = Number(opts.limit ?? 0);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: ${opts.limit}`);
  let rv = resourceVersion;
  let after: string | undefined;
  if (opts.continue) {
    const token = decode(opts.continue);
    if (!reachable(token.rv))
      throw new ApiError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    rv = String(token.rv);
    after = token.after;
  }
  // A list that fits one page is served as it was unpaged, in the store's order.
  if (after === undefined && (limit === 0 || items.length <= limit))
    return { items: [...items], resourceVersion: rv };
  const sorted = items
    .map((o) => ({ key: keyOf(o), o }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((e) => e.key > after);
  const page = limit === 0 ? rest : rest.slice(0, limit);
  const out: ListPage = { items: page.map((e) => e.o), resourceVersion: rv };
  if (page.length < rest.length)
    out.continue = encode({ rv: Number(rv), after: page[page.length - 1]!.key });
  return out;
}

function encode(t: Token): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decode(text: string): Token {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Token>;
    if (typeof t.rv === 'number' && typeof t.after === 'string')
      return { rv: t.rv, after: t.after };
  } catch {
    // answered below
  }
  throw badRequest(`invalid continue token: ${text}`);
}
