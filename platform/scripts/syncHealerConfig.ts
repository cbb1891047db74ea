// Rewrites k8s/base/healer/configmap.yaml from the model's default feature queries.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FEATURE_QUERIES } from '@aiops/model/queries';
import { format, resolveConfig } from 'prettier';
import { renderHealerConfigMap } from '../src/healerConfig.js';

const target = fileURLToPath(new URL('../../k8s/base/healer/configmap.yaml', import.meta.url));
const options = (await resolveConfig(target)) ?? {};
const text = await format(renderHealerConfigMap(DEFAULT_FEATURE_QUERIES), {
  ...options,
  filepath: target,
});
writeFileSync(target, text);
console.log(`wrote ${target}`);
