/** The healer's approval and silence endpoints, as the e2e suites drive them (with the API token). */
import type { Approval } from '@aiops/healer/approval/types';
import type { RunningStack } from './index.js';
import type { Target } from './cluster.js';

async function call<T>(
  stack: RunningStack,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${stack.healerUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.apiToken}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function pendingApprovals(stack: RunningStack): Promise<Approval[]> {
  return (await call<Approval[]>(stack, 'GET', '/api/approvals')).filter(
    (a) => a.state === 'pending',
  );
}

export async function approve(stack: RunningStack, id: string): Promise<Approval> {
  return call(stack, 'POST', `/api/approvals/${encodeURIComponent(id)}/approve`, { by: 'e2e' });
}

export async function createSilence(
  stack: RunningStack,
  t: Target,
  reason: string,
  durationMs: number,
): Promise<{ id: string; expiresAt: string }> {
  return call(stack, 'POST', '/api/silences', {
    namespace: t.namespace,
    name: t.name,
    reason,
    durationMs,
  });
}

/** Opts an existing deployment in (the healer's label), without creating pods. */
export async function optIn(stack: RunningStack, t: Target): Promise<void> {
  const res = await fetch(
    `${stack.simulatorUrl}/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}`,
    {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { 'aiops.io/autoheal': 'enabled' } } }),
    },
  );
  if (!res.ok) throw new Error(`opting ${t.namespace}/${t.name} in answered ${res.status}`);
}
