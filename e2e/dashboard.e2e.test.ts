import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { riskLevel } from '@aiops/model';
import type { ActionRecord, DeploymentStatus } from '@aiops/healer/api/types';
import {
  artifactPath,
  ensureDashboardBuilt,
  launchChromium,
  startDashboard,
  type RunningDashboard,
} from './support/dashboard.js';
import { startFakeStack, type FakeStack } from './support/fakeStack.js';

// The dashboard in a real browser: the built bundle behind `vite preview` (what `npm start -w
// dashboard` serves), proxying /api and /predict to a healer and a backend. By default those are the
// fake stack in support/fakeStack.ts; HEALER_URL and BACKEND_URL point the test at running services
// instead (then the stream-control steps, which need the fake, are skipped by name below).
const external = Boolean(process.env.HEALER_URL && process.env.BACKEND_URL);

const T = 60_000;

describe('dashboard in chromium', () => {
  let fake: FakeStack | undefined;
  let dash: RunningDashboard;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ensureDashboardBuilt();
    if (!external) fake = await startFakeStack();
    dash = await startDashboard({
      healerUrl: process.env.HEALER_URL ?? fake!.healerUrl,
      backendUrl: process.env.BACKEND_URL ?? fake!.backendUrl,
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.stop();
    await fake?.stop();
  });

  const row = (key: string) => page.getByTestId(`row-${key}`);

  it(
    'overview lists every watched deployment, riskiest first, with level in words',
    async () => {
      await page.goto(`${dash.url}/`);
      await page.getByTestId('connection').getByText('Live').waitFor({ timeout: 15_000 });
      const expected = (await (
        await fetch(`${dash.url}/api/deployments`)
      ).json()) as DeploymentStatus[];
      expect(expected.length).toBeGreaterThan(0);
      for (const d of expected) await row(`${d.namespace}/${d.name}`).waitFor();
      await expect(page.locator('table.deployments tbody tr').count()).resolves.toBe(
        expected.length,
      );
      if (fake) {
        // riskiest first; the level is text, not only colour
        const first = await page
          .locator('table.deployments tbody tr')
          .first()
          .getAttribute('data-testid');
        expect(first).toBe('row-prod/payments');
        await expect(row('prod/payments').getByTestId('risk').innerText()).resolves.toMatch(
          /95 %\s*■ critical/,
        );
        await expect(row('prod/payments').getByTestId('state').innerText()).resolves.toContain(
          'healing step 2',
        );
        await expect(row('dev/api').getByTestId('state').innerText()).resolves.toContain(
          'needs attention',
        );
      }
      await page.screenshot({ path: artifactPath('dashboard-overview.png'), fullPage: true });
    },
    T,
  );

  it(
    'a pushed assessment and action raise the risk and show the action without a reload',
    async () => {
      if (!fake) return; // against the real stack the lead drives a simulator fault instead
      await fake.waitForStreamClients(1);
      await page.evaluate(() => {
        (globalThis as { noReload?: boolean }).noReload = true;
      });
      const before = await row('prod/checkout').getByTestId('risk').innerText();
      expect(Number(/(\d+) %/.exec(before)?.[1])).toBeLessThan(30); // low while healthy

      const now = Date.now();
      const checkout = fake.detail('prod', 'checkout')!;
      const action: ActionRecord = {
        at: new Date(now).toISOString(),
        step: 1,
        action: 'restart_scale',
        attempt: 1,
        dryRun: false,
        riskBefore: 0.93,
        outcome: 'pending',
        message:
          'risk 0.93 ≥ 0.80 for 3/3 cycles; top http_5xx_error_rate=0.35 (+0.41) → restart (attempt 1/3)',
      };
      const actionsBefore = Number(await page.getByTestId('actions-last-hour').innerText());
      fake.push({
        type: 'assessment',
        deployment: {
          ...checkout,
          risk: 0.93,
          level: riskLevel(0.93),
          state: 'healing',
          step: 1,
          attempts: 1,
          updatedAt: new Date(now).toISOString(),
          trend: [...checkout.trend, { t: new Date(now).toISOString(), risk: 0.93 }],
        },
      });
      fake.push({ type: 'action', namespace: 'prod', name: 'checkout', action });

      await row('prod/checkout').getByTestId('risk').getByText('93 %').waitFor({ timeout: 10_000 });
      await expect(row('prod/checkout').getByTestId('risk').innerText()).resolves.toContain(
        'critical',
      );
      await row('prod/checkout')
        .getByTestId('last-action')
        .getByText('restart + scale up (step 1)')
        .waitFor();
      await expect(row('prod/checkout').getByTestId('state').innerText()).resolves.toContain(
        'healing step 1',
      );
      await expect(page.getByTestId('actions-last-hour').innerText()).resolves.toBe(
        String(actionsBefore + 1),
      );
      // now the riskiest with payments; both on top
      await expect(
        page.evaluate(() => (globalThis as { noReload?: boolean }).noReload),
      ).resolves.toBe(true);
      await page.screenshot({ path: artifactPath('dashboard-overview-live.png'), fullPage: true });
    },
    T,
  );

  it(
    'shows a lost stream, reconnects by itself and resyncs what it missed',
    async () => {
      if (!fake) return;
      fake.setStreamAvailable(false);
      await page
        .getByTestId('connection')
        .getByText(/Connection lost/)
        .waitFor({ timeout: 10_000 });
      await page.screenshot({ path: artifactPath('dashboard-connection-lost.png') });
      // a change while the dashboard is disconnected: only the resync can bring it in
      const cart = fake.detail('prod', 'cart')!;
      fake.push({
        type: 'assessment',
        deployment: {
          ...cart,
          risk: 0.12,
          level: 'low',
          state: 'healthy',
          updatedAt: new Date().toISOString(),
        },
      });
      fake.setStreamAvailable(true);
      await page.getByTestId('connection').getByText('Live').waitFor({ timeout: 15_000 });
      await row('prod/cart').getByTestId('risk').getByText('12 %').waitFor({ timeout: 10_000 });
      await expect(
        page.evaluate(() => (globalThis as { noReload?: boolean }).noReload),
      ).resolves.toBe(true);
    },
    T,
  );

  it(
    'detail page shows the risk chart with thresholds and action markers, the explanation and the ladder',
    async () => {
      await page.goto(`${dash.url}/#/`);
      const key = fake ? 'prod/payments' : await firstKey(page);
      await row(key)
        .getByRole('link', { name: new RegExp(key.split('/')[1]!) })
        .first()
        .click();
      await page.getByRole('heading', { name: 'Risk history' }).waitFor();
      const chart = page.getByTestId('risk-chart');
      await chart.locator('path.line').waitFor();
      await expect(chart.locator('svg').getAttribute('aria-label')).resolves.toMatch(
        /^Risk \d+ % → \d+ %/,
      );
      await expect(page.getByTestId('explanation-summary').innerText()).resolves.toMatch(
        /Driven by|No signal/,
      );
      await expect(page.locator('table.contrib tbody tr').count()).resolves.toBeGreaterThan(0);
      if (fake) {
        await expect(chart.locator('line.thr-high').count()).resolves.toBe(1);
        await expect(chart.locator('g.mark').count()).resolves.toBe(2);
        await expect(page.getByTestId('explanation-summary').innerText()).resolves.toContain(
          'http 5xx error rate',
        );
        await expect(page.locator('.rung[aria-current="step"]').innerText()).resolves.toContain(
          'clear cache + restart',
        );
        await page.getByText('AutoHealCacheClear').waitFor();
        // a live outcome lands on the open detail page too
        const pending = fake.detail('prod', 'payments')!.actions[1]!;
        fake.push({
          type: 'action',
          namespace: 'prod',
          name: 'payments',
          action: { ...pending, outcome: 'cured', riskAfter: 0.21 },
        });
        await page
          .locator('.timeline')
          .getByText(/cured \(risk 92 % → 21 %\)/)
          .waitFor({ timeout: 10_000 });
      }
      await page.screenshot({ path: artifactPath('dashboard-detail.png'), fullPage: true });
    },
    T,
  );

  it(
    'what-if starts from the deployment, names a bad field, and returns a risk',
    async () => {
      const key = fake ? 'prod/payments' : await firstKey(page);
      await page.goto(`${dash.url}/#/what-if/${key}`);
      const ready = page.getByLabel('ready replica ratio');
      await ready.waitFor();
      if (fake) await expect(ready.inputValue()).resolves.toBe('0.33');

      await ready.fill('1.5');
      await page.getByRole('button', { name: 'Predict risk' }).click();
      await expect(page.getByTestId('form-errors').innerText()).resolves.toContain(
        'ready_replica_ratio must be between 0 and 1',
      );
      await ready.fill('1');
      await page.getByLabel('restart count last 5m').fill('0');
      await page.getByLabel('http 5xx error rate').fill('0');
      await page.getByRole('button', { name: 'Predict risk' }).click();
      const result = page.getByTestId('whatif-result');
      await result.waitFor({ timeout: 10_000 });
      await expect(result.innerText()).resolves.toMatch(/\d+ %/);
      if (fake) {
        const sent = fake.predictions.at(-1) as Record<string, number>;
        expect(sent).toMatchObject({
          ready_replica_ratio: 1,
          restart_count_last_5m: 0,
          http_5xx_error_rate: 0,
        });
      }
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: artifactPath('dashboard-whatif.png'), fullPage: true });
    },
    T,
  );

  it(
    'works on a phone-sized screen',
    async () => {
      const phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
      });
      const p = await phone.newPage();
      await p.goto(`${dash.url}/`);
      await p.locator('table.deployments tbody tr').first().waitFor();
      // cards, not a table wider than the screen
      const overflow = await p.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      await p.screenshot({ path: artifactPath('dashboard-overview-phone.png'), fullPage: true });
      if (fake) {
        await p.goto(`${dash.url}/#/d/prod/payments`);
        await p.getByTestId('risk-chart').locator('path.line').waitFor();
        await p.screenshot({ path: artifactPath('dashboard-detail-phone.png'), fullPage: true });
      }
      await phone.close();
    },
    T,
  );

  it(
    'follows a dark colour scheme',
    async () => {
      const dark = await browser.newContext({
        viewport: { width: 1440, height: 900 },
        colorScheme: 'dark',
      });
      const p = await dark.newPage();
      await p.goto(`${dash.url}/#/d/${fake ? 'prod/payments' : await firstKey(page)}`);
      await p.getByTestId('risk-chart').locator('path.line').waitFor();
      const bg = await p.evaluate<string>(
        'getComputedStyle(document.documentElement).backgroundColor',
      );
      const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
      expect(Math.max(r ?? 255, g ?? 255, b ?? 255)).toBeLessThan(60);
      await p.screenshot({ path: artifactPath('dashboard-detail-dark.png'), fullPage: true });
      await dark.close();
    },
    T,
  );

  it('logged no errors in the browser console', () => {
    // the deliberate stream outage logs a failed EventSource request; nothing else may
    expect(consoleErrors.filter((e) => !/api\/events|503/.test(e))).toEqual([]);
  });
});

async function firstKey(page: Page): Promise<string> {
  const id = await page.locator('table.deployments tbody tr').first().getAttribute('data-testid');
  return (id ?? '').replace(/^row-/, '');
}
