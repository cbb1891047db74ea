// `npm run crds -w healer`: writes healer/crds/ from the config schema (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { crdManifest } from '../dist/src/policy/healPolicy.js';

const out = new URL('../crds/healpolicies.aiops.io.yaml', import.meta.url);
writeFileSync(
  out,
  `# Generated from the healer config schema (healer/src/policy/healPolicy.ts): npm run crds -w healer\n${stringify(crdManifest())}`,
);
console.log(`wrote ${out.pathname}`);
