/**
 * What the scenario suite reads and changes, all through public HTTP APIs: the simulator's
 * Kubernetes API subset and fault API, the healer's status API and the Slack receiver's messages.
 */
import type { ActionRecord, DeploymentDetail, DeploymentStatus } from '@aiops/healer/api/types';
import {
  blockTexts as blockTextParts,
  type ReceivedMessage,
} from '@aiops/simulator/slack/receiver';
import type { RunningStack } from './index.js';

export interface Target {
  namespace: string;
  name: string;
}

export const keyOf = (t: Target): string => `${t.namespace}/${t.name}`;

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export interface InjectedFault {
  id: string;
  kind: string;
  /** Epoch ms when the simulator accepted it. */
  at: number;
}

export async function injectFault(
  stack: RunningStack,
  target: Target,
  kind: string,
  params?: Record<string, number>,
): Promise<InjectedFault> {
  const body = {
    namespace: target.namespace,
    deployment: target.name,
    kind,
    ...(params && { params }),
  };
  const f = await json<{ id: string }>(`${stack.simulatorUrl}/sim/faults`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });
  return { id: f.id, kind, at: Date.now() };
}

export async function deleteFault(stack: RunningStack, id: string): Promise<void> {
  const res = await fetch(`${stack.simulatorUrl}/sim/faults/${id}`, { method: 'DELETE' });
  if (!res.ok && res.status !== 404)
    throw new Error(`DELETE /sim/faults/${id} answered ${res.status}: ${await res.text()}`);
}

export interface KubeEvent {
  reason: string;
  type: string;
  message: string;
  involvedObject: { kind: string; name: string; namespace: string };
  source?: { component?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
}

/** core/v1 Events on one Deployment, oldest first. */
export async function deploymentEvents(stack: RunningStack, t: Target): Promise<KubeEvent[]> {
  const selector = encodeURIComponent(
    `involvedObject.kind=Deployment,involvedObject.name=${t.name}`,
  );
  const list = await json<{ items: KubeEvent[] }>(
    `${stack.simulatorUrl}/api/v1/namespaces/${t.namespace}/events?fieldSelector=${selector}`,
  );
  return list.items;
}

export interface DeploymentObject {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  status?: { readyReplicas?: number; replicas?: number };
}

export async function getDeployment(stack: RunningStack, t: Target): Promise<DeploymentObject> {
  return json(`${stack.simulatorUrl}/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}`);
}

export interface HpaObject {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { minReplicas: number; maxReplicas: number };
}

/** The HPA named like the deployment (the sample cluster's convention), or undefined. */
export async function getHpa(stack: RunningStack, t: Target): Promise<HpaObject | undefined> {
  const res = await fetch(
    `${stack.simulatorUrl}/apis/autoscaling/v2/namespaces/${t.namespace}/horizontalpodautoscalers/${t.name}`,
  );
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET hpa ${keyOf(t)} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as HpaObject;
}

export async function annotateDeployment(
  stack: RunningStack,
  t: Target,
  annotations: Record<string, string>,
): Promise<void> {
  await json(`${stack.simulatorUrl}/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { annotations } }),
  });
}

/** A watched deployment created through the API (the simulator gives it the default workload). */
export async function createWatchedDeployment(
  stack: RunningStack,
  t: Target,
  replicas = 2,
): Promise<void> {
  const labels = { app: t.name };
  await json(`${stack.simulatorUrl}/apis/apps/v1/namespaces/${t.namespace}/deployments`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { ...t, labels: { ...labels, 'aiops.io/autoheal': 'enabled' } },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'app',
                image: `registry.local/${t.name}:1.0.0`,
                ports: [{ containerPort: 8080 }],
                resources: {
                  requests: { cpu: '100m', memory: '128Mi' },
                  limits: { cpu: '500m', memory: '256Mi' },
                },
              },
            ],
          },
        },
      },
    }),
  });
}

export interface SimPod {
  namespace: string;
  name: string;
  deployment: string;
  ready: boolean;
  signals: { cpuUsageCores: number; errorRate: number; rps: number };
}

/** Every replica updated, ready and available: a rollout (restart, rollback) has finished. */
export async function rolledOut(stack: RunningStack, t: Target): Promise<boolean> {
  const state = await json<{
    deployments: {
      namespace: string;
      name: string;
      replicas: number;
      readyReplicas: number;
      availableReplicas: number;
      updatedReplicas: number;
    }[];
  }>(`${stack.simulatorUrl}/sim/state`);
  const d = state.deployments.find((x) => x.namespace === t.namespace && x.name === t.name);
  return Boolean(
    d &&
    d.updatedReplicas === d.replicas &&
    d.readyReplicas === d.replicas &&
    d.availableReplicas === d.replicas,
  );
}

export async function simulatorPods(stack: RunningStack): Promise<SimPod[]> {
  return (await json<{ pods: SimPod[] }>(`${stack.simulatorUrl}/sim/state`)).pods;
}

export async function healerStatuses(stack: RunningStack): Promise<DeploymentStatus[]> {
  return json(`${stack.healerUrl}/api/deployments`);
}

export async function healerDetail(stack: RunningStack, t: Target): Promise<DeploymentDetail> {
  return json(`${stack.healerUrl}/api/deployments/${t.namespace}/${t.name}?range=1h`);
}

/** Actions the healer really took (dry-run entries excluded). */
export const realActions = (d: DeploymentDetail): ActionRecord[] =>
  d.actions.filter((a) => !a.dryRun);

/** Every text inside a Block Kit message, joined (header, fields, sections, context). */
export function blockTexts(m: ReceivedMessage): string {
  return blockTextParts(m).join('\n');
}

/** Slack messages about one deployment (its `ns/name` is in the context block). */
export function slackFor(stack: RunningStack, t: Target): ReceivedMessage[] {
  return stack.slack.messages().filter((m) => blockTexts(m).includes(`${keyOf(t)} · aiops-healer`));
}

/** A short dump of everything the healer, the cluster and Slack say about `t`, for failures. */
export async function describeTarget(stack: RunningStack, t: Target): Promise<string> {
  const parts: string[] = [`=== ${keyOf(t)}`];
  try {
    const d = await healerDetail(stack, t);
    parts.push(
      `healer: state=${d.state} step=${d.step} risk=${d.risk} attempts=${d.attempts} inconclusive=${d.inconclusiveReason ?? '-'}`,
      `features: ${JSON.stringify(d.features)}`,
      `explanation: ${JSON.stringify(d.explanation.slice(0, 4))}`,
      ...d.actions.map(
        (a) =>
          `action ${a.at} step ${a.step} ${a.action} #${a.attempt} ${a.outcome} before=${a.riskBefore} after=${a.riskAfter ?? '-'}: ${a.message}`,
      ),
      `trend: ${d.trend
        .slice(-20)
        .map((p) => p.risk.toFixed(2))
        .join(' ')}`,
    );
  } catch (err) {
    parts.push(`healer detail failed: ${String(err)}`);
  }
  try {
    for (const e of await deploymentEvents(stack, t))
      parts.push(
        `event ${e.lastTimestamp ?? e.eventTime ?? ''} ${e.type} ${e.reason}: ${e.message}`,
      );
    const dep = await getDeployment(stack, t);
    parts.push(`annotations: ${JSON.stringify(dep.metadata.annotations ?? {})}`);
    parts.push(`replicas: ${dep.spec.replicas} ready ${dep.status?.readyReplicas ?? 0}`);
  } catch (err) {
    parts.push(`cluster read failed: ${String(err)}`);
  }
  for (const m of slackFor(stack, t)) parts.push(`slack ${m.receivedAt}: ${m.text ?? ''}`);
  return parts.join('\n');
}
