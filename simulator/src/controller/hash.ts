/** Canonical JSON: sorted keys, so equal templates hash equally. */
export function stableStringify(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter(
        (k) =>
          (v as Record<string, unknown>)[k] !== undefined &&
          (v as Record<string, unknown>)[k] !== null,
      )
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The `pod-template-hash` label: FNV-1a 32 of the template, then encoded the way Kubernetes'
 * `rand.SafeEncodeString(fmt.Sprint(hash))` does, so values look like `5d9b8c7f6d`.
 */
export function podTemplateHash(template: unknown): string {
  const t = structuredClone(template) as { metadata?: { labels?: Record<string, string> } };
  if (t?.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  const text = stableStringify(t);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return Array.from(String(h), (c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');
}
