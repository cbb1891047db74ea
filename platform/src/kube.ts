/**
 * Renders Kustomize directories with the real `kubectl kustomize` and reads the multi-document
 * YAML it prints into plain objects.
 */
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { ToolError } from './errors.js';

/** A Kubernetes object as rendered: only the fields every object has are typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** `Kind/namespace/name` (or `Kind/name` for cluster-scoped objects). */
export function objectId(o: KubeObject): string {
  return [o.kind, o.metadata.namespace, o.metadata.name].filter(Boolean).join('/');
}

/** Parses multi-document YAML; a syntax error names the document's position. */
export function parseYamlDocuments(text: string, source: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new ToolError(`${source}: invalid YAML: ${doc.errors[0]?.message}`, 'yaml', text);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ToolError(`${source}: a document is not a mapping`, 'yaml', text);
    }
    out.push(value as KubeObject);
  }
  return out;
}

/** Runs `kubectl kustomize <dir>`; a failed build throws with kubectl's message. */
export function kustomize(dir: string): KubeObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) {
    throw new ToolError(`kubectl kustomize ${dir}: cannot run kubectl`, 'kubectl', '', {
      cause: r.error,
    });
  }
  if (r.status !== 0) {
    throw new ToolError(`kubectl kustomize ${dir} failed: ${r.stderr.trim()}`, 'kubectl', r.stderr);
  }
  return parseYamlDocuments(r.stdout, dir);
}
