/**
 * Parses Terraform with HashiCorp's own HCL parser (compiled to WebAssembly in `@cdktf/hcl2json`)
 * and returns the JSON form, so tests can assert on blocks rather than on text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { ToolError } from './errors.js';

/** Terraform JSON: top-level block types → labels → bodies (arrays, as hcl2json emits them). */
export type TerraformJson = Record<string, Record<string, unknown>>;

/** Parses one file; a syntax error throws a ToolError quoting the parser's message. */
export async function parseTerraform(name: string, text: string): Promise<TerraformJson> {
  try {
    return (await parse(name, text)) as TerraformJson;
  } catch (err) {
    throw new ToolError(`${name}: ${String(err)}`, 'hcl2json', text, { cause: err });
  }
}

/** Parses every `.tf` file of a directory and merges the top-level blocks. */
export async function parseTerraformDir(dir: string): Promise<TerraformJson> {
  const merged: TerraformJson = {};
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.tf'))
    .sort()) {
    const json = await parseTerraform(f, readFileSync(join(dir, f), 'utf8'));
    for (const [block, value] of Object.entries(json)) {
      // Unlabelled blocks (`terraform`, `locals`) are arrays of bodies; labelled ones are maps.
      const prev = merged[block];
      merged[block] = Array.isArray(value)
        ? ([...((prev as unknown as unknown[]) ?? []), ...value] as unknown as Record<
            string,
            unknown
          >)
        : { ...(prev ?? {}), ...value };
    }
  }
  return merged;
}

/** Module sources from the registry whose `version` is not an exact x.y.z. */
export function unpinnedModules(tf: TerraformJson): string[] {
  return Object.entries(tf.module ?? {}).flatMap(([name, bodies]) => {
    const body = (bodies as { source?: string; version?: string }[])[0] ?? {};
    const registry =
      body.source !== undefined && !body.source.startsWith('.') && !body.source.includes('://');
    return registry && !/^\d+\.\d+\.\d+$/.test(body.version ?? '') ? [name] : [];
  });
}
