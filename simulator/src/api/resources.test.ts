import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../clock.js';
import type { KubeObject } from '../cluster/types.js';
import { startSimulator, type RunningSimulator } from '../index.js';

interface List {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string };
  items: KubeObject[];
}

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ clock: new ManualClock(), seed: 1 });
});
afterAll(() => sim.stop());

async function list(query: string): Promise<List> {
  const res = await fetch(`${sim.url}/apis/apps/v1/deployments?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as List;
}

/** Every page of a list, following its continue tokens. */
async function pages(query: string): Promise<List[]> {
  const out: List[] = [];
  let token: string | undefined;
  do {
    const page = await list(`${query}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    out.push(page);
    token = page.metadata.continue;
  } while (token);
  return out;
}

const key = (o: KubeObject): string => `${o.metadata.namespace}/${o.metadata.name}`;

describe('a paged list over the API', () => {
  it('serves every matching object once, in key order, as whole objects, the selector applied before paging', async () => {
    const selector = encodeURIComponent('aiops.io/autoheal=enabled');
    const all = (await list(`labelSelector=${selector}`)).items;
    expect(all.length).toBeGreaterThan(2);
    const served = await pages(`labelSelector=${selector}&limit=2`);
    expect(served.length).toBe(Math.ceil(all.length / 2));
    for (const page of served) {
      expect(page).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1' });
      expect(page.metadata.resourceVersion).toBe(served[0]!.metadata.resourceVersion);
      expect(page.items.length).toBeLessThanOrEqual(2);
    }
    const items = served.flatMap((p) => p.items);
    expect(items.map(key)).toEqual(all.map(key).sort());
    // whole objects, as unpaged: same bodies, spec and status included
    const byKey = new Map(all.map((o) => [key(o), o]));
    for (const o of items) expect(o).toEqual(byKey.get(key(o)));
    for (const o of items) expect(o.metadata.labels?.['aiops.io/autoheal']).toBe('enabled');
  });
});
