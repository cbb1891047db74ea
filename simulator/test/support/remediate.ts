/** Test support: the healer's remediations as plain API calls against the simulator. */
type Json = Record<string, unknown>;

async function call(
  url: string,
  method: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Json> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${text}`);
  try {
    return JSON.parse(text) as Json;
  } catch {
    return { text };
  }
}

const dep = (base: string, ns: string, name: string): string =>
  `${base}/apis/apps/v1/namespaces/${ns}/deployments/${name}`;

/** `kubectl rollout restart`: a restartedAt annotation on the pod template (strategic merge). */
export function restart(
  base: string,
  ns: string,
  name: string,
  at = new Date().toISOString(),
): Promise<Json> {
  return call(
    dep(base, ns, name),
    'PATCH',
    {
      spec: {
        template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } },
      },
    },
    'application/strategic-merge-patch+json',
  );
}

export function scale(base: string, ns: string, name: string, replicas: number): Promise<Json> {
  return call(
    `${dep(base, ns, name)}/scale`,
    'PATCH',
    { spec: { replicas } },
    'application/merge-patch+json',
  );
}

/** POST /cache/clear to the first pod of the deployment through pods/proxy. */
export async function clearCache(base: string, ns: string, name: string): Promise<Json> {
  const pods = (await call(
    `${base}/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${name}`,
    'GET',
  )) as { items: { metadata: { name: string } }[] };
  return call(
    `${base}/api/v1/namespaces/${ns}/pods/${pods.items[0]!.metadata.name}/proxy/cache/clear`,
    'POST',
  );
}

/**
 * `kubectl rollout undo --to-revision=N` where N is the newest revision running another image
 * than now (a plain undo after a restart would land on the same bad image), as a JSON patch.
 */
export async function rollback(base: string, ns: string, name: string): Promise<Json> {
  const d = (await call(dep(base, ns, name), 'GET')) as {
    metadata: { annotations: Record<string, string> };
    spec: { template: { spec: { containers: { image: string }[] } } };
  };
  const image = d.spec.template.spec.containers[0]!.image;
  const current = Number(d.metadata.annotations['deployment.kubernetes.io/revision']);
  const rsList = (await call(
    `${base}/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=app%3D${name}`,
    'GET',
  )) as {
    items: {
      metadata: { annotations: Record<string, string> };
      spec: {
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: { image: string }[] };
        };
      };
    }[];
  };
  const previous = rsList.items
    .filter((rs) => Number(rs.metadata.annotations['deployment.kubernetes.io/revision']) < current)
    .filter((rs) => rs.spec.template.spec.containers[0]!.image !== image)
    .sort(
      (a, b) =>
        Number(b.metadata.annotations['deployment.kubernetes.io/revision']) -
        Number(a.metadata.annotations['deployment.kubernetes.io/revision']),
    )[0];
  if (!previous) throw new Error(`no previous revision for ${ns}/${name}`);
  const template = structuredClone(previous.spec.template);
  delete template.metadata.labels['pod-template-hash'];
  return call(
    dep(base, ns, name),
    'PATCH',
    [{ op: 'replace', path: '/spec/template', value: template }],
    'application/json-patch+json',
  );
}

export async function injectFault(base: string, body: unknown): Promise<Json> {
  return call(`${base}/sim/faults`, 'POST', body);
}
