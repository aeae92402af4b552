// A page for Chromium, served from this process on loopback: browser scripts bundled in memory with
// esbuild (livekit-client and friends come from node_modules, no CDN), static files, and small
// dynamic routes. Used by the telemetry demo's dashboard and by the browser interop tests.

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { build } from 'esbuild';

export interface BrowserSiteOptions {
  /** Served name (e.g. 'page.js') -> TypeScript/JavaScript entry point, bundled for the browser. */
  scripts: Record<string, string>;
  /** Served name -> fixed content (HTML, CSS). */
  files?: Record<string, string | Uint8Array>;
  /** Served name -> JSON body computed per request. */
  json?: Record<string, () => unknown | Promise<unknown>>;
  /** Default 0 (any free port). */
  port?: number;
}

export interface BrowserSite {
  /** http://127.0.0.1:port/ */
  readonly url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

async function bundle(scripts: Record<string, string>): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  await Promise.all(
    Object.entries(scripts).map(async ([name, entry]) => {
      const result = await build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: 'iife',
        platform: 'browser',
        target: 'chrome120',
        logLevel: 'silent',
        outfile: name,
      });
      const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
      if (!js) throw new Error(`esbuild produced no JavaScript for ${entry}`);
      out.set(name, js.contents);
    }),
  );
  return out;
}

export async function serveBrowserSite(options: BrowserSiteOptions): Promise<BrowserSite> {
  const files = await bundle(options.scripts);
  for (const [name, content] of Object.entries(options.files ?? {})) {
    files.set(name, typeof content === 'string' ? new TextEncoder().encode(content) : content);
  }
  const json = options.json ?? {};

  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string | Uint8Array) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    let name: string;
    try {
      name = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname.slice(1)) || 'index.html';
    } catch {
      return send(400, 'text/plain', 'bad path');
    }
    const route = json[name];
    if (route) {
      Promise.resolve()
        .then(route)
        .then(
          (body) => send(200, CONTENT_TYPES['.json'], JSON.stringify(body)),
          (e: unknown) => send(500, 'text/plain', String(e)),
        );
      return;
    }
    const body = files.get(name);
    if (!body) return send(404, 'text/plain', 'not found');
    send(200, CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream', body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
