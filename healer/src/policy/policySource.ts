/**
 * Reads the HealPolicies of the watched namespaces once per cycle (one list per namespace, or one
 * for all). A failed read keeps the last policies (and says so); a bad policy is reported once
 * and ignored.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { describeError, statusOf } from '../actions/kube.js';
import {
  parsePolicies,
  type HealPolicyObject,
  type ParsedPolicy,
  type POLICY_GROUP,
  type POLICY_PLURAL,
  type POLICY_VERSION,
} from './healPolicy.js';

/**
 * The resource this file lists, spelled out so the platform's RBAC scan (platform/src/rbacUsage.ts)
 * can read it; the type ties it to the CRD's own constants.
 */
const HEAL_POLICIES = {
  group: 'aiops.io',
  version: 'v1alpha1',
  plural: 'healpolicies',
} as const satisfies {
  group: typeof POLICY_GROUP;
  version: typeof POLICY_VERSION;
  plural: typeof POLICY_PLURAL;
};

export class PolicyBook {
  private policies: ParsedPolicy[] = [];
  /** The CRD is not installed: no policies, asked again every ten cycles. */
  private absentFor = 0;

  constructor(
    private readonly custom: Pick<
      CustomObjectsApi,
      'listNamespacedCustomObject' | 'listCustomObjectForAllNamespaces'
    >,
  ) {}

  current(): readonly ParsedPolicy[] {
    return this.policies;
  }

  /** Re-reads them; returns problems to report (bad policies, a failed read). */
  async refresh(namespaces: readonly string[]): Promise<string[]> {
    if (this.absentFor > 0) {
      this.absentFor = (this.absentFor + 1) % 10;
      return [];
    }
    const base = HEAL_POLICIES;
    try {
      const lists =
        namespaces.length === 0
          ? [await this.custom.listCustomObjectForAllNamespaces(base)]
          : await Promise.all(
              namespaces.map((namespace) =>
                this.custom.listNamespacedCustomObject({ ...base, namespace }),
              ),
            );
      const items = lists.flatMap((l) => (l as { items?: HealPolicyObject[] }).items ?? []);
      const { policies, problems } = parsePolicies(items);
      this.policies = policies;
      return problems;
    } catch (err) {
      if (statusOf(err) === 404) {
        this.policies = [];
        this.absentFor = 1;
        return [];
      }
      return [`reading HealPolicies failed (keeping the last ones): ${describeError(err)}`];
    }
  }
}
