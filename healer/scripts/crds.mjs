// `npm run crds -w healer`: writes healer/crds/ from the config schema (run after `npm run build`).
// As YAML 1.1, which kubectl and the API server read: strings such as `off` are quoted there.
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { crdManifest } from '../dist/src/policy/healPolicy.js';

const out = new URL('../crds/healpolicies.aiops.io.yaml', import.meta.url);
writeFileSync(
  out,
  `# Generated from the healer config schema (healer/src/policy/healPolicy.ts): npm run crds -w healer\n${stringify(crdManifest(), { version: '1.1', singleQuote: true })}`,
);
console.log(`wrote ${out.pathname}`);
