/**
 * The LIST and WATCH of one kind for an informer (`sources/informer.ts`): the kind's own list
 * calls, in pages (`pages.ts`), and a watch of its collection through client-node's `Watch` (the
 * kubeconfig's auth).
 */
import type { Watch } from '@kubernetes/client-node';
import type { ListWatch, WatchEvent } from '../sources/informer.js';
import { LIST_PAGE_SIZE, listPages } from './pages.js';
import type { WorkloadKind } from './types.js';

export function kindListWatch(
  kind: Pick<WorkloadKind, 'listPage' | 'path'>,
  watch: Pick<Watch, 'watch'>,
  namespace: string | undefined,
  labelSelector: string,
  pageSize = LIST_PAGE_SIZE,
): ListWatch {
  return {
    list: (keep, onExpired) =>
      listPages(kind, namespace, labelSelector, { keep, pageSize, onExpired }),
    async watch(resourceVersion, timeoutSeconds, onEvent) {
      let settle!: { resolve: () => void; reject: (err: unknown) => void };
      const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      // A watch stopped before anyone awaits it rejects with AbortError: not an unhandled one.
      done.catch(() => undefined);
      const controller = await watch.watch(
        kind.path(namespace),
        {
          ...(labelSelector ? { labelSelector } : {}),
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
        },
        (type: string, object: WatchEvent['object']) =>
          onEvent({ type: type as WatchEvent['type'], object }),
        (err: unknown) => (err ? settle.reject(err) : settle.resolve()),
      );
      return { done, stop: () => controller.abort() };
    },
  };
}
