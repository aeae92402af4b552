// Serves the telemetry dashboard on 127.0.0.1: the page, its bundle (livekit-client + uPlot,
// built by esbuild at start-up) and a config.json with a fresh subscribe-only token per page load.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { serveBrowserSite, type BrowserSite } from '../browser-site.js';
import type { DashboardConfig } from './types.js';

export interface DashboardOptions extends Omit<DashboardConfig, 'token'> {
  /** Mints the token for one page load; `n` counts page loads, for distinct identities. */
  token(n: number): Promise<string>;
  /** Default 0 (any free port). */
  port?: number;
}

export function serveDashboard(options: DashboardOptions): Promise<BrowserSite> {
  let loads = 0;
  return serveBrowserSite({
    port: options.port,
    scripts: { 'page.js': path.join(__dirname, 'page.ts') },
    files: {
      'index.html': fs.readFileSync(path.join(__dirname, 'index.html')),
      'uPlot.min.css': fs.readFileSync(require.resolve('uplot/dist/uPlot.min.css')),
    },
    json: {
      'config.json': async (): Promise<DashboardConfig> => ({
        url: options.url,
        token: await options.token(++loads),
        publisher: options.publisher,
        track: options.track,
      }),
    },
  });
}
