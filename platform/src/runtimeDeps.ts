/**
 * The runtime stage of each Node image installs only `npm ci --omit=dev -w <workspaces>`. This
 * checks that every package the shipped code imports is a production dependency of one of those
 * workspaces (or one of the workspaces itself), so an image never starts with a missing module.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { stageText } from './dockerfiles.js';
import type { Finding } from './errors.js';

/**
 * Workspaces named by `-w`/`--workspace` in the `npm ci --omit=dev` of the stage that `target`
 * copies its node_modules from (`COPY --from=<stage> /app/node_modules`).
 */
export function productionWorkspaces(dockerfile: string, target: string): string[] {
  const from = /COPY --from=(\S+) \/app\/node_modules/.exec(stageText(dockerfile, target))?.[1];
  const deps = from ? stageText(dockerfile, from) : '';
  const line = deps.split('\n').find((l) => /npm ci\b.*--omit=dev/.test(l)) ?? '';
  return [...line.matchAll(/(?:-w|--workspace)[ =](\S+)/g)].map((m) => m[1] as string);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Package name of a bare import specifier (`@scope/pkg/sub` → `@scope/pkg`), or undefined. */
export function packageOf(specifier: string): string | undefined {
  if (
    specifier.startsWith('.') ||
    specifier.startsWith('node:') ||
    builtinModules.includes(specifier)
  ) {
    return undefined;
  }
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Value (not type-only) imports of a TypeScript source. */
export function runtimeImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
    if (!m[2]) out.push(m[3] as string);
  }
  for (const m of source.matchAll(/^\s*import\s+'([^']+)'/gm)) out.push(m[1] as string);
  for (const m of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) out.push(m[1] as string);
  return out;
}

/** Findings for one image: imports in `<ws>/src` not covered by the workspaces' dependencies. */
export function checkRuntimeDependencies(
  root: string,
  workspaces: readonly string[],
  image: string,
): Finding[] {
  const declared = new Set<string>();
  const names = new Set<string>();
  for (const ws of workspaces) {
    const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
    };
    names.add(pkg.name);
    for (const d of Object.keys(pkg.dependencies ?? {})) declared.add(d);
  }
  const out: Finding[] = [];
  for (const ws of workspaces) {
    for (const file of sourceFiles(join(root, ws, 'src'))) {
      for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
        const pkg = packageOf(spec);
        if (pkg && !declared.has(pkg) && !names.has(pkg)) {
          out.push({
            object: `${image}: ${file.slice(root.length)}`,
            rule: 'runtime-deps',
            message: `imports ${spec}, which is not a dependency of ${workspaces.join(', ')} (npm ci --omit=dev will not install it)`,
          });
        }
      }
    }
  }
  return out;
}
