import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

/** A kubeconfig for the simulator: plain HTTP on loopback, a token the simulator ignores. */
export function kubeconfigYaml(server: string, name = 'aiops-sim'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain HTTP unless TLS verification is explicitly off.
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token: 'simulator' } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

/** Writes the kubeconfig (mode 0600, as kubectl expects of credentials files). */
export async function writeKubeconfig(path: string, server: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, kubeconfigYaml(server), { mode: 0o600 });
}
