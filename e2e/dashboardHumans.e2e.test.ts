import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import {
  artifactPath,
  ensureDashboardBuilt,
  launchChromium,
  startDashboard,
  type RunningDashboard,
} from './support/dashboard.js';
import { deploymentEvents, getDeployment, injectFault, type Target } from './stack/cluster.js';
import { startStack, type RunningStack } from './stack/index.js';
import { until } from './support/until.js';

// Approvals and silences in a real browser, on the real stack (simulator, Prometheus, backend,
// healer): a bad release in prod waits for its rollback's approval; the Approve button on the
// dashboard lets the healer roll it back. A silence created from the form is listed (and
// exported), then expired with its button.
const PAYMENTS: Target = { namespace: 'prod', name: 'payments' };
const T = 240_000;

describe('dashboard: approvals and silences in chromium', () => {
  let stack: RunningStack;
  let dash: RunningDashboard;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ensureDashboardBuilt();
    stack = await startStack({
      healerConfig: {
        fleet: { maxAtRisk: 10, maxFraction: 1 },
        // 2 s cycles on a shared 2-core box (as in scenarios.e2e.test.ts)
        maxAssessmentAgeMs: 10_000,
      },
    });
    dash = await startDashboard({ healerUrl: stack.healerUrl, backendUrl: stack.backendUrl });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.stop();
    await stack?.stop();
  });

  it(
    'a pending rollback is approved with the dashboard button and the healer rolls back',
    async () => {
      await page.goto(`${dash.url}/#/humans`);
      await page.getByTestId('no-approvals').waitFor();
      await page.getByTestId('api-token').fill(stack.apiToken);
      // the healer must know payments' release before the bad one rolls out
      await until(
        'payments scored',
        async () => {
          const r = await fetch(`${stack.healerUrl}/api/deployments`);
          const list = (await r.json()) as Array<{
            namespace: string;
            name: string;
            risk: number | null;
          }>;
          return list.some((d) => d.name === PAYMENTS.name && d.risk !== null && d.risk < 0.5);
        },
        120_000,
      );
      const good = (await getDeployment(stack, PAYMENTS)).spec.template.spec.containers[0]!.image;
      await injectFault(stack, PAYMENTS, 'bad_release');
      const item = page.getByTestId('approval-prod/payments');
      await item.waitFor({ timeout: 120_000 });
      await expect(item.innerText()).resolves.toMatch(/rollback \(step 3\).*pending/s);
      await expect(item.innerText()).resolves.toMatch(/image \S+: \S+ → \S+/);
      await page.screenshot({ path: artifactPath('dashboard-approval.png'), fullPage: true });
      await item.getByRole('button', { name: 'Approve' }).click();
      try {
        await until(
          'the rollback',
          async () =>
            (await deploymentEvents(stack, PAYMENTS)).some((e) => e.reason === 'AutoHealRollback'),
          60_000,
        );
      } catch (err) {
        const approvals = await (await fetch(`${stack.healerUrl}/api/approvals`)).text();
        const events = (await deploymentEvents(stack, PAYMENTS)).map(
          (e) => `${e.reason}: ${e.message}`,
        );
        const shown = await page
          .getByTestId('humans-error')
          .innerText()
          .catch(() => '');
        throw new Error(
          `${(err as Error).message}\napprovals: ${approvals}\nevents:\n${events.join('\n')}\npage error: ${shown}`,
        );
      }
      const image = (await getDeployment(stack, PAYMENTS)).spec.template.spec.containers[0]!.image;
      expect(image).toBe(good);
      const reasons = (await deploymentEvents(stack, PAYMENTS))
        .filter((e) => e.source?.component === 'aiops-healer')
        .map((e) => e.reason);
      expect(reasons.slice(0, 3)).toEqual([
        'AutoHealApprovalRequested',
        'AutoHealApprovalGranted',
        'AutoHealRollback',
      ]);
      await page.getByTestId('no-approvals').waitFor({ timeout: 10_000 });
      await page.locator('details summary').click();
      await expect(page.getByTestId('decided').innerText()).resolves.toMatch(
        /prod\/payments — rollback: done by dashboard \(api\)/,
      );
    },
    T,
  );

  it(
    'a silence is created from the form, shown and exported, then expired with its button',
    async () => {
      await page.goto(`${dash.url}/#/humans`);
      const form = page.getByRole('form', { name: 'New silence' });
      await form.getByLabel('namespace').fill('dev');
      await form.getByLabel('deployment').fill('api');
      await form.getByLabel('reason').fill('e2e maintenance');
      await form.getByRole('button', { name: 'Silence' }).click();
      const row = page.locator('table.silences tbody tr').first();
      await row.waitFor();
      await expect(row.innerText()).resolves.toMatch(/dev\/api\s+e2e maintenance\s+dashboard/);
      await expect(row.getAttribute('data-active')).resolves.toBe('true');
      const metrics = await (await fetch(`${stack.healerUrl}/metrics`)).text();
      expect(metrics).toMatch(/^aiops_healer_silences_active\{scope="deployment"\} 1$/m);
      await page.screenshot({ path: artifactPath('dashboard-silences.png'), fullPage: true });
      await row.getByRole('button', { name: 'Expire' }).click();
      await until(
        'expired',
        async () => (await row.getAttribute('data-active')) === 'false',
        10_000,
      );
      await expect(row.getByTestId('silence-until').innerText()).resolves.toBe('expired');
      expect(consoleErrors).toEqual([]);
    },
    T,
  );
});
