// Rewrites the generated manifests: the healer ConfigMap (from the model's default feature
// queries), deploy/prometheus/recording.yml (from the model's recording rule builders) and the
// PrometheusRule (from deploy/prometheus/alerts.yml and recording.yml). Prettier-formatted.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FEATURE_QUERIES } from '@aiops/model/queries';
import { recordingRuleGroups } from '@aiops/model/recording';
import { format, resolveConfig } from 'prettier';
import { renderHealerConfigMap } from '../src/healerConfig.js';
import { renderPrometheusRule, renderRecordingRules } from '../src/prometheusRule.js';

const path = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

async function write(relative: string, text: string): Promise<void> {
  const target = path(relative);
  const options = (await resolveConfig(target)) ?? {};
  writeFileSync(target, await format(text, { ...options, filepath: target }));
  console.log(`wrote ${relative}`);
}

await write('k8s/base/healer/configmap.yaml', renderHealerConfigMap(DEFAULT_FEATURE_QUERIES));
await write('deploy/prometheus/recording.yml', renderRecordingRules(recordingRuleGroups()));
await write(
  'k8s/monitoring/prometheusrule.yaml',
  renderPrometheusRule(
    readFileSync(path('deploy/prometheus/alerts.yml'), 'utf8'),
    readFileSync(path('deploy/prometheus/recording.yml'), 'utf8'),
  ),
);
