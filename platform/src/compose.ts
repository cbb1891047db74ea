/**
 * docker-compose.yml checks: `dclint` (compose-spec schema validation plus its lint rules) and our
 * own rules: hardened services, bind mounts that exist, every app service scraped by Prometheus.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DCLinter } from 'dclint';
import { parse } from 'yaml';
import type { Finding } from './errors.js';

/** dclint rules switched off: ordering style only (services are listed in data-flow order). */
const STYLE_RULES_OFF = {
  'services-alphabetical-order': 0,
  'service-keys-order': 0,
  'top-level-properties-order': 0,
} as const;

interface DclintResult {
  messages: { rule: string; message: string; line: number }[];
}

/** Runs dclint on a compose file; every message (error or warning) is a finding. */
export function lintCompose(path: string): Finding[] {
  const linter = new DCLinter({
    rules: { ...STYLE_RULES_OFF },
    quiet: false,
    debug: false,
    exclude: [],
  });
  const results = linter.lintFiles([path], false) as DclintResult[];
  return results.flatMap((r) =>
    r.messages.map((m) => ({
      object: `${path}:${m.line}`,
      rule: `dclint/${m.rule}`,
      message: m.message,
    })),
  );
}

interface Service {
  image?: string;
  build?: unknown;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  healthcheck?: { test?: unknown };
  volumes?: (string | { type?: string; source?: string })[];
}

/** Our rules over the parsed compose file (YAML merge keys resolved). */
export function checkCompose(text: string, path: string, required: readonly string[]): Finding[] {
  const out: Finding[] = [];
  const doc = parse(text, { merge: true }) as { services?: Record<string, Service> };
  const services = doc.services ?? {};
  const add = (svc: string, rule: string, message: string): void => {
    out.push({ object: `${path} service ${svc}`, rule, message });
  };
  for (const name of required) {
    if (!services[name])
      out.push({ object: path, rule: 'services', message: `service ${name} is missing` });
  }
  for (const [name, s] of Object.entries(services)) {
    if (s.read_only !== true) add(name, 'hardening', 'read_only must be true');
    if (!(s.cap_drop ?? []).includes('ALL')) add(name, 'hardening', 'cap_drop must include ALL');
    if (!(s.security_opt ?? []).includes('no-new-privileges:true')) {
      add(name, 'hardening', 'security_opt must include no-new-privileges:true');
    }
    if (s.build !== undefined && s.healthcheck?.test === undefined) {
      add(name, 'healthcheck', 'a service built here must declare a healthcheck');
    }
    if (!s.user || !/^\d+:\d+$/.test(s.user))
      add(name, 'hardening', `user must be numeric uid:gid, got ${String(s.user)}`);
    for (const v of s.volumes ?? []) {
      const source = typeof v === 'string' ? v.split(':')[0] : v.source;
      if (source?.startsWith('./') && !existsSync(resolve(dirname(path), source))) {
        add(name, 'bind-mount', `bind mount source ${source} does not exist`);
      }
    }
  }
  return out;
}
