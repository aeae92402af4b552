// `npm start`'s dashboard in Debian's Chromium: the demo runs as a user would start it (its own
// process, the URL read from its output), the page plots the robot's telemetry, and the plotted
// points are the ones the robot published. Waits on the page's own counter, never on time.
//
//   npx jest test/browser/dashboard.test.ts
//   UPDATE_DASHBOARD_SCREENSHOT=1 npx jest test/browser/dashboard.test.ts   # refreshes docs/dashboard.png

import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import type { DashboardPoint } from '../../examples/dashboard/types';
import { poseAt } from '../../examples/telemetry';
import { launchChromium } from './chromium';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const POINTS = 500;
const SCREENSHOT = process.env.UPDATE_DASHBOARD_SCREENSHOT
  ? path.join(ROOT, 'docs', 'dashboard.png')
  : path.join(os.tmpdir(), `dashboard-${process.pid}.png`);

let demo: ChildProcess | undefined;
let output = '';
let browser: Browser | undefined;

/** Resolves with the first match of `re` in the demo's output so far or to come. */
function waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = output.match(re);
      if (!m) return false;
      cleanup();
      resolve(m);
      return true;
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`demo exited (${code}) before printing ${re}:\n${output}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`demo printed no ${re} within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      demo?.stdout?.off('data', check);
      demo?.off('exit', onExit);
    };
    if (check()) return;
    demo?.stdout?.on('data', check);
    demo?.once('exit', onExit);
  });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not exit within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

beforeAll(() => {
  demo = spawn(process.execPath, ['--import', 'tsx', path.join('examples', 'telemetry-demo.ts')], {
    cwd: ROOT,
    env: { ...process.env, DEMO_SECONDS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
  demo.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
});

afterAll(async () => {
  try {
    await browser?.close();
  } finally {
    if (demo && demo.exitCode === null) demo.kill('SIGKILL');
  }
});

test(`the dashboard plots ${POINTS} points of the robot's telemetry as published, then the demo ends cleanly on Ctrl-C`, async () => {
  const [, url] = await waitForOutput(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000);
  await waitForOutput(/publishing \d+-byte frames/, 30_000);

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction((n) => window.dashboard.plotted >= n || window.dashboard.error !== undefined, POINTS, {
    timeout: 60_000,
  });

  const state = await page.evaluate(() => ({ ...window.dashboard, points: window.dashboard.points() }));
  expect(state.error).toBeUndefined();
  expect(pageErrors).toEqual([]);
  const points: DashboardPoint[] = state.points;
  expect(points.length).toBeGreaterThanOrEqual(POINTS);

  // Every plotted point is what the robot published for its sequence number (float32 on the wire).
  for (const p of points) {
    const published = poseAt(p.seq);
    expect([p.x, p.y, p.speed]).toEqual([Math.fround(published.x), Math.fround(published.y), Math.fround(published.speed)]);
    expect(Number.isFinite(p.latencyMs)).toBe(true);
  }
  // In order, and the drop counter accounts for every gap (all received points are still on the plot).
  for (let i = 1; i < points.length; i++) expect(points[i].seq).toBeGreaterThan(points[i - 1].seq);
  if (state.received === points.length) {
    expect(state.drops).toBe(points[points.length - 1].seq - points[0].seq + 1 - points.length);
  }
  // The counter beside the plot shows it too (it keeps moving: the robot still publishes).
  expect(Number(await page.textContent('#plotted'))).toBeGreaterThanOrEqual(state.plotted);

  await page.screenshot({ path: SCREENSHOT });
  console.log(`dashboard screenshot: ${SCREENSHOT}`);
  await browser.close();
  browser = undefined;

  demo!.kill('SIGINT');
  expect(await waitForExit(demo!, 30_000)).toBe(0);
  expect(output).toMatch(/summary\n\s+sent \d+, received \d+/);
});
