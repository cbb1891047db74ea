import type { CoreV1Api } from '@kubernetes/client-node';
import type { HealAction } from '../api/types.js';
import { ledgerFromEvents } from './gate.js';
import type { LedgerEntry } from './types.js';

/** A failed read of the Events the ledger is rebuilt from; `cause` is the API error. */
export class LedgerLoadError extends Error {
  constructor(
    readonly namespace: string,
    options: { cause: unknown },
  ) {
    super(`could not list Events in namespace ${namespace} to rebuild the budget ledger`, options);
    this.name = 'LedgerLoadError';
  }
}

const ON_DEPLOYMENTS = 'involvedObject.kind=Deployment';

/**
 * Lists the Events on Deployments in `namespaces` (empty: every namespace, as the healer's watch
 * scope) and rebuilds the budget ledger from the healer's own action Events (see
 * {@link ledgerFromEvents}). Called at start and on becoming leader.
 */
export async function loadLedgerFromEvents(
  core: Pick<CoreV1Api, 'listNamespacedEvent' | 'listEventForAllNamespaces'>,
  namespaces: readonly string[],
  opts: { reasons?: Readonly<Record<string, HealAction>>; component?: string } = {},
): Promise<LedgerEntry[]> {
  if (namespaces.length === 0) {
    try {
      const list = await core.listEventForAllNamespaces({ fieldSelector: ON_DEPLOYMENTS });
      return ledgerFromEvents(list.items, opts);
    } catch (err) {
      throw new LedgerLoadError('(all namespaces)', { cause: err });
    }
  }
  const all: LedgerEntry[] = [];
  for (const namespace of namespaces) {
    let list;
    try {
      list = await core.listNamespacedEvent({
        namespace,
        fieldSelector: ON_DEPLOYMENTS,
      });
    } catch (err) {
      throw new LedgerLoadError(namespace, { cause: err });
    }
    all.push(...ledgerFromEvents(list.items, opts));
  }
  return all.sort((a, b) => a.at - b.at);
}
