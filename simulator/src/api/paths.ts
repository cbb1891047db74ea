import { findResource } from '../cluster/resources.js';
import type { ResourcePath } from './resources.js';

/** `/api/v1/...` or `/apis/{group}/{version}/...` → the resource, namespace, name, subresource. */
export function parseResourcePath(pathname: string): ResourcePath | 'discovery' | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') [group, version, rest] = ['', 'v1', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3)
    [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  else return undefined;
  if (rest.length === 0) return 'discovery';
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const def = findResource(group, version, rest[0]!);
  if (!def || (namespace !== undefined && !def.namespaced)) return undefined;
  return { def, namespace, name: rest[1], subresource: rest[2], rest: rest.slice(3).join('/') };
}
