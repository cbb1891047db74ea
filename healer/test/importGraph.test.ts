/**
 * What the healer's process loads: the built module graph (`dist/`, what `node` runs in the pod),
 * walked from its entry points. The healer scores nothing itself (the backend's `/predict` does),
 * so TensorFlow.js — tens of MB of RSS before any cycle, out of a 256 Mi pod's budget — must not
 * be in it: the healer imports the model's wire types and query templates by subpath
 * (`@aiops/model/schema`, `/queries`, …), never the package root that re-exports the model.
 *
 * Needs the build (`tsc -b`, which `npm test` runs first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `@aiops/<pkg>/<sub>` → its built file (the workspaces' exports: `./*` → `dist/src/*.js`). */
function workspaceFile(specifier: string): string {
  const [, pkg, ...sub] = specifier.split('/');
  return join(ROOT, pkg!, 'dist', 'src', sub.length === 0 ? 'index.js' : `${sub.join('/')}.js`);
}

/** A bare specifier's package name: `@scope/name` or `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Every workspace file reachable from `entry` through static and (unless `dynamic` is false)
 * literal dynamic imports, and every third-party package one of them imports (with the first
 * file found importing it).
 */
export function importGraph(
  entry: string,
  { dynamic = true }: { dynamic?: boolean } = {},
): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (files.has(file)) continue;
    if (!existsSync(file)) throw new Error(`${file} is not built: run tsc -b`);
    files.add(file);
    const source = readFileSync(file, 'utf8');
    // tsc's output: `import … from '…'`, `export … from '…'`, `import '…'`, `import('…')`
    for (const [, paren, spec] of source.matchAll(
      /(?:\bfrom\s*|\bimport\s*(\()?\s*)['"]([^'"]+)['"]/g,
    )) {
      if (spec!.startsWith('node:') || (paren && !dynamic)) continue;
      if (spec!.startsWith('.')) stack.push(resolve(dirname(file), spec!));
      else if (spec!.startsWith('@aiops/')) stack.push(workspaceFile(spec!));
      else if (!packages.has(packageOf(spec!)))
        packages.set(packageOf(spec!), file.slice(ROOT.length + 1));
    }
  }
  return { files, packages };
}

const tensorflow = (packages: Map<string, string>): [string, string][] =>
  [...packages].filter(([p]) => p.startsWith('@tensorflow/'));

describe("the healer's module graph", () => {
  it('finds TensorFlow.js through the model package root (the walk sees what it must keep out)', () => {
    const { packages } = importGraph(join(ROOT, 'model', 'dist', 'src', 'index.js'));
    expect(tensorflow(packages).map(([p]) => p)).toContain('@tensorflow/tfjs');
  });

  it.each([['main.js'], ['cli.js']])('%s loads no TensorFlow.js', (entry) => {
    const { files, packages } = importGraph(join(ROOT, 'healer', 'dist', 'src', entry));
    // the walk went through the healer's wiring and into the model's subpaths
    expect(files.has(join(ROOT, 'healer', 'dist', 'src', 'loop', 'factory.js'))).toBe(true);
    expect(files.has(join(ROOT, 'model', 'dist', 'src', 'schema.js'))).toBe(true);
    expect(packages.has('@kubernetes/client-node')).toBe(true);
    // which file brought TensorFlow in, if one did
    expect(tensorflow(packages)).toEqual([]);
  });

  // Slack's clients (~11 MB resident together) load with the first message, not at start: a
  // healer without Slack, or before its first message, does not hold them.
  it('main.js imports the Slack clients only when it posts', () => {
    const main = join(ROOT, 'healer', 'dist', 'src', 'main.js');
    const slack = (packages: Map<string, string>): string[] =>
      [...packages.keys()].filter((p) => p.startsWith('@slack/')).sort();
    expect(slack(importGraph(main).packages)).toEqual(['@slack/web-api', '@slack/webhook']);
    expect(slack(importGraph(main, { dynamic: false }).packages)).toEqual([]);
  });
});
