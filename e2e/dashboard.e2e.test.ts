import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { DeploymentStatus } from '@aiops/healer/api/types';
import {
  artifactPath,
  ensureDashboardBuilt,
  launchChromium,
  startDashboard,
  type RunningDashboard,
} from './support/dashboard.js';
import {
  dashboardStackFromEnv,
  reactionTimeoutMs,
  type DashboardStack,
} from './support/dashboardStack.js';
import { startRelay, type Relay } from './support/relay.js';
import { until } from './support/until.js';

// The dashboard in a real browser: the built bundle behind `vite preview` (what `npm start -w
// dashboard` serves), proxying /api to the healer (through a relay the test can cut) and /predict to
// the backend. By default against the fake stack in support/fakeStack.ts; with HEALER_URL,
// BACKEND_URL and SIMULATOR_URL against running services (see support/dashboardStack.ts).
// Assertions that need the fake's fixtures are marked `if (fake)`; the rest hold for any stack.
const REACTION_MS = reactionTimeoutMs();
const T = 60_000 + REACTION_MS;

const percent = (text: string): number => Number(/(\d+) %/.exec(text)?.[1] ?? Number.NaN);

describe('dashboard in chromium', () => {
  let stack: DashboardStack;
  let relay: Relay;
  let dash: RunningDashboard;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ensureDashboardBuilt();
    stack = await dashboardStackFromEnv();
    relay = await startRelay(stack.healerUrl);
    dash = await startDashboard({ healerUrl: relay.url, backendUrl: stack.backendUrl });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.stop();
    await relay?.stop();
    await stack?.stop();
  });

  const row = (key: string) => page.getByTestId(`row-${key}`);
  const targetKey = (): string => `${stack.faultTarget.namespace}/${stack.faultTarget.name}`;

  it(
    'overview lists every watched deployment with its risk, level and state in words',
    async () => {
      await page.goto(`${dash.url}/`);
      await page.getByTestId('connection').getByText('Live').waitFor({ timeout: 15_000 });
      const res = await fetch(`${dash.url}/api/deployments`);
      const watched = (await res.json()) as DeploymentStatus[];
      expect(watched.length).toBeGreaterThan(0);
      for (const d of watched) await row(`${d.namespace}/${d.name}`).waitFor();
      await expect(page.locator('table.deployments tbody tr').count()).resolves.toBe(
        watched.length,
      );
      await expect(row(targetKey()).getByTestId('risk').innerText()).resolves.toMatch(
        /(\d+ %|—)\s*\S+ (low|elevated|high|critical|unknown)/,
      );
      if (stack.fake) {
        const first = page.locator('table.deployments tbody tr').first();
        await expect(first.getAttribute('data-testid')).resolves.toBe('row-prod/payments');
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
    'a fault makes the risk rise and a heal action appear without a reload',
    async () => {
      await page.evaluate(() => {
        (globalThis as { noReload?: boolean }).noReload = true;
      });
      const target = row(targetKey());
      // A freshly started real stack has no conclusive assessment until Prometheus holds a window.
      await until(
        `${targetKey()} has a first risk`,
        async () => Number.isFinite(percent(await target.getByTestId('risk').innerText())),
        REACTION_MS,
      );
      const before = percent(await target.getByTestId('risk').innerText());
      const lastBefore = await target.getByTestId('last-action').innerText();
      expect(before).toBeLessThan(60);

      await stack.injectFault();

      // On the real stack the first new record need not be the heal itself: under load the
      // healer refuses an assessment older than a cycle, or retries a failed write, and the row
      // says "watching" meanwhile. Wait for the heal, not for any record.
      await until(
        `${targetKey()} risk ≥ 60 %, a new last action and healing`,
        async () =>
          percent(await target.getByTestId('risk').innerText()) >= 60 &&
          (await target.getByTestId('last-action').innerText()) !== lastBefore &&
          /healing step \d/.test(await target.getByTestId('state').innerText()),
        REACTION_MS,
      );
      await expect(target.getByTestId('risk').innerText()).resolves.toMatch(/high|critical/);
      if (stack.fake) {
        await expect(target.getByTestId('last-action').innerText()).resolves.toContain(
          'restart + scale up (step 1)',
        );
      }
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
      relay.setDown(true);
      await page
        .getByTestId('connection')
        .getByText(/Connection lost/)
        .waitFor({ timeout: 10_000 });
      await page.getByTestId('stale-banner').waitFor();
      await page.screenshot({ path: artifactPath('dashboard-connection-lost.png') });
      if (stack.fake) {
        // a change while the dashboard is disconnected: only the resync can bring it in
        const cart = stack.fake.detail('prod', 'cart')!;
        stack.fake.push({
          type: 'assessment',
          deployment: {
            ...cart,
            risk: 0.12,
            level: 'low',
            state: 'healthy',
            updatedAt: new Date().toISOString(),
          },
        });
      }
      relay.setDown(false);
      await page.getByTestId('connection').getByText('Live').waitFor({ timeout: 20_000 });
      await expect(page.getByTestId('stale-banner').count()).resolves.toBe(0);
      if (stack.fake)
        await row('prod/cart').getByTestId('risk').getByText('12 %').waitFor({ timeout: 10_000 });
      await expect(
        page.evaluate(() => (globalThis as { noReload?: boolean }).noReload),
      ).resolves.toBe(true);
    },
    T,
  );

  it(
    'detail page shows the risk chart with thresholds, the explanation and the ladder',
    async () => {
      const key = stack.fake ? 'prod/payments' : targetKey();
      await page.goto(`${dash.url}/#/`);
      await row(key).locator('a.dep-link').click();
      await page.getByRole('heading', { name: 'Risk history' }).waitFor();
      const chart = page.getByTestId('risk-chart');
      await chart.locator('path.line').waitFor();
      await expect(chart.locator('svg').getAttribute('aria-label')).resolves.toMatch(
        /^Risk \d+ % → \d+ %/,
      );
      await expect(chart.locator('line.thr-high').count()).resolves.toBe(1);
      await expect(page.getByTestId('explanation-summary').innerText()).resolves.toMatch(
        /^(Driven by|No signal)/,
      );
      // On the real stack the deployment may be between conclusive assessments right after its
      // heal (fresh pods, no series yet): the live page fills the contributions in when one comes.
      await page.locator('table.contrib tbody tr').first().waitFor({ timeout: REACTION_MS });
      await expect(page.locator('.ladder .rung').count()).resolves.toBe(4);
      if (stack.fake) {
        await expect(chart.locator('g.mark').count()).resolves.toBe(2);
        await expect(page.getByTestId('explanation-summary').innerText()).resolves.toContain(
          'http 5xx error rate',
        );
        await expect(page.locator('.rung[aria-current="step"]').innerText()).resolves.toContain(
          'clear cache + restart',
        );
        await page.getByText('Event AutoHealCacheClear').waitFor();
        // a live outcome lands on the open detail page too
        const pending = stack.fake.detail('prod', 'payments')!.actions[1]!;
        stack.fake.push({
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
      const key = stack.fake ? 'prod/payments' : targetKey();
      await page.goto(`${dash.url}/#/what-if/${key}`);
      const ready = page.getByLabel('ready replica ratio');
      await ready.waitFor();
      if (stack.fake) await expect(ready.inputValue()).resolves.toBe('0.33');

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
      await expect(result.innerText()).resolves.toMatch(/\d+ %\s*\S+ (low|elevated|high|critical)/);
      if (stack.fake) {
        const sent = stack.fake.predictions.at(-1) as Record<string, number>;
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
      const overflow = await p.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await p.screenshot({ path: artifactPath('dashboard-overview-phone.png'), fullPage: true });
      await p.goto(`${dash.url}/#/d/${stack.fake ? 'prod/payments' : targetKey()}`);
      await p.getByTestId('risk-chart').locator('path.line').waitFor();
      await expect(
        p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
      ).resolves.toBeLessThanOrEqual(0);
      await p.screenshot({ path: artifactPath('dashboard-detail-phone.png'), fullPage: true });
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
      await p.goto(`${dash.url}/#/d/${stack.fake ? 'prod/payments' : targetKey()}`);
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
    // the deliberate outage fails the EventSource request; nothing else may log an error
    expect(consoleErrors.filter((e) => !e.includes('/api/events'))).toEqual([]);
  });
});
