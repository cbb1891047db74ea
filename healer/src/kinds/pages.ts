/**
 * A list of one kind read in pages (`limit` and `continue`, as client-go's pager reads one): each
 * page's body is parsed, its objects go through `keep` (the informer's cache copy), and the page
 * is dropped before the next is asked for. At 10,000 Deployments one unpaged list is a ~14 MB body
 * text and a ~20 MB parse alive at once beside the objects kept (the bench's Deployments); in
 * pages of 500 it is 20 calls of a twentieth of that each. One call per page, not per object.
 *
 * A continue token the API server no longer serves (410 `Expired`: its snapshot was compacted,
 * the list took longer than etcd keeps history) lists again from the first page, up to
 * `MAX_EXPIRED_RELISTS` times; after that the list is read unpaged (client-go's pager does the
 * same on an expired token), so a slow list always ends.
 */
import { statusOf } from '../actions/kube.js';
import type { WorkloadClient, WorkloadObject } from './types.js';

/** Objects per list call (client-go's pager default). */
export const LIST_PAGE_SIZE = 500;
/** Paged lists started again after an expired continue token, before one unpaged list. */
export const MAX_EXPIRED_RELISTS = 2;

/**
 * A page request as client-node's list calls take it: `limit`, and the token as `_continue` (its
 * name for the `continue` query parameter); absent ones not sent.
 */
export function pageParams(page: { limit?: number; continue?: string }): {
  limit?: number;
  _continue?: string;
} {
  return {
    ...(page.limit !== undefined ? { limit: page.limit } : {}),
    ...(page.continue !== undefined ? { _continue: page.continue } : {}),
  };
}

export interface ListPagesOptions<T> {
  /** What is kept of each object, while its page is the only one alive. */
  keep: (o: WorkloadObject) => T;
  pageSize?: number;
  /** Told when a continue token expired and the list starts again (logs, tests). */
  onExpired?: (attempt: number) => void;
}

/**
 * Every object of one list (a namespace, or all: undefined), page by page, with the
 * resourceVersion of its first page: the snapshot the pages are of, to watch from.
 */
export async function listPages<T>(
  client: Pick<WorkloadClient, 'listPage'>,
  namespace: string | undefined,
  labelSelector: string,
  opts: ListPagesOptions<T>,
): Promise<{ items: T[]; resourceVersion: string }> {
  const limit = opts.pageSize ?? LIST_PAGE_SIZE;
  for (let attempt = 0; ; attempt++) {
    // The last attempt unpaged: the server's whole list in one answer.
    const paged = attempt <= MAX_EXPIRED_RELISTS;
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    try {
      do {
        const page = await client.listPage(namespace, labelSelector, {
          ...(paged ? { limit } : {}),
          ...(token !== undefined ? { continue: token } : {}),
        });
        if (token === undefined) resourceVersion = page.resourceVersion;
        for (const o of page.items) items.push(opts.keep(o));
        token = page.continue || undefined;
      } while (token !== undefined);
      return { items, resourceVersion };
    } catch (err) {
      // Only a continue token expires; a first page's 410 is the API server's error to report.
      if (!(statusOf(err) === 410 && token !== undefined && paged)) throw err;
      opts.onExpired?.(attempt + 1);
    }
  }
}
