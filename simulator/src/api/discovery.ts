import { apiVersionOf, RESOURCES, type ResourceDef } from '../cluster/resources.js';

/** `GET /version`: what kubectl prints as the server version. */
export const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-aiops-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const groups = (): string[] => [
  ...new Set(RESOURCES.filter((r) => r.group !== '').map((r) => r.group)),
];

function groupDoc(name: string): Record<string, unknown> {
  const versions = [
    ...new Set(RESOURCES.filter((r) => r.group === name).map((r) => r.version)),
  ].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions, preferredVersion: versions[0] };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().map(groupDoc) };
}

export function apiGroup(name: string): Record<string, unknown> | undefined {
  return groups().includes(name)
    ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(name) }
    : undefined;
}

/** `GET /api/v1`, `GET /apis/apps/v1`...: the resources (and subresources) of one group version. */
export function apiResourceList(
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const defs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (defs.length === 0) return undefined;
  const resources = defs.flatMap((d: ResourceDef) => [
    {
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
      ...(d.shortNames ? { shortNames: d.shortNames } : {}),
      ...(d.categories ? { categories: d.categories } : {}),
    },
    ...(d.subresources ?? []).map((s) => ({
      name: `${d.resource}/${s.name}`,
      singularName: '',
      namespaced: d.namespaced,
      ...(s.group ? { group: s.group, version: s.version } : {}),
      kind: s.kind,
      verbs: s.verbs,
    })),
  ]);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(defs[0]!),
    resources,
  };
}
