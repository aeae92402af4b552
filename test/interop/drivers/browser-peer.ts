// Test peer: livekit-client 2.23.0 in headless Chromium, with the browser's own WebRTC and, for
// E2EE, its own Web Worker. One Chromium per jest worker, one browser context (fresh cookies,
// storage) per peer. The page side is test/interop/browser/page.ts. Test code only.
//
// Limits (livekit-client 2.23.0 itself): no data-track schema / frame encoding and no schema
// storage, so `publish(name, { schema })` throws and defineSchema/getSchema are absent.

import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { serveBrowserSite, type BrowserSite } from '../../../examples/browser-site';
import { launchChromium } from '../../browser/chromium';
import type { PageEvent, PageRemoteTrack } from '../browser/protocol';
import {
  DEFAULT_TIMEOUT_MS,
  FrameQueue,
  Latch,
  withTimeout,
  type InteropPeer,
  type PeerConnectOptions,
  type PeerLocalTrack,
  type PeerPublishOptions,
  type PeerRemoteTrack,
  type PeerSubscription,
} from './peer';

// ---------------------------------------------------------------------------------------------
// Chromium and the page's site, shared by every browser peer of this process

interface BrowserHost {
  browser: Browser;
  site: BrowserSite;
}

let host: Promise<BrowserHost> | undefined;

const PAGE_HTML = '<!doctype html><meta charset="utf-8"><title>livekit-client interop peer</title><script src="page.js"></script>';

async function startHost(): Promise<BrowserHost> {
  const site = await serveBrowserSite({
    scripts: { 'page.js': path.join(__dirname, '..', 'browser', 'page.ts'), 'e2ee-worker.js': 'livekit-client/e2ee-worker' },
    files: { 'index.html': PAGE_HTML },
  });
  try {
    return { browser: await launchChromium(), site };
  } catch (e) {
    await site.close();
    throw e;
  }
}

function browserHost(): Promise<BrowserHost> {
  host ??= startHost();
  return host;
}

/** Closes Chromium and the page server; call from afterAll. Safe when nothing was started. */
export async function disposeBrowserPeers(): Promise<void> {
  const h = host;
  host = undefined;
  if (!h) return;
  const { browser, site } = await h.catch(() => ({ browser: undefined, site: undefined }));
  await Promise.allSettled([browser?.close(), site?.close()]);
}

// ---------------------------------------------------------------------------------------------

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

interface SubscriptionState {
  queue: FrameQueue;
  ready: Latch<void>;
}

export class BrowserPeer implements InteropPeer {
  readonly kind = 'livekit-client-browser' as const;
  private context?: BrowserContext;
  private page?: Page;
  private localIdentity = '';
  private readonly pageErrors: string[] = [];
  private readonly remoteTracks = new Map<string, PageRemoteTrack>(); // by sid
  private readonly trackWaiters = new Set<() => void>();
  private readonly unpublished = new Map<string, Latch<void>>(); // by sid
  private readonly left = new Map<string, Latch<void>>(); // by identity
  private readonly subscriptions = new Map<number, SubscriptionState>();
  private nextSubscriptionId = 1;

  get identity() {
    return this.localIdentity;
  }

  /** Runs `fn` in the page with a bounded wait; page errors are attached to the failure. */
  private async inPage<A, R>(what: string, fn: (arg: A) => R | Promise<R>, arg: A, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<R> {
    const page = this.page;
    if (!page) throw new Error(`browser peer: ${what} before connect`);
    try {
      // Plain JSON arguments only, so playwright's unboxing leaves them as typed.
      return await withTimeout(page.evaluate(fn as (a: unknown) => R | Promise<R>, arg as unknown), timeoutMs, `browser peer: ${what}`);
    } catch (e) {
      if (this.pageErrors.length > 0 && e instanceof Error) e.message += `\npage errors:\n${this.pageErrors.join('\n')}`;
      throw e;
    }
  }

  private latch(map: Map<string, Latch<void>>, key: string) {
    let l = map.get(key);
    if (!l) map.set(key, (l = new Latch<void>()));
    return l;
  }

  private onPageEvent(ev: PageEvent) {
    switch (ev.kind) {
      case 'trackPublished':
        this.remoteTracks.set(ev.track.sid, ev.track);
        for (const wake of [...this.trackWaiters]) wake();
        break;
      case 'trackUnpublished':
        this.latch(this.unpublished, ev.sid).resolve();
        break;
      case 'participantLeft':
        this.latch(this.left, ev.identity).resolve();
        break;
      case 'subscriptionReady':
        this.subscriptions.get(ev.id)?.ready.resolve();
        break;
      case 'frame':
        this.subscriptions.get(ev.id)?.queue.push({
          payload: new Uint8Array(Buffer.from(ev.payload, 'base64')),
          userTimestamp: ev.userTimestamp === undefined ? undefined : BigInt(ev.userTimestamp),
        });
        break;
      case 'subscriptionEnded': {
        const s = this.subscriptions.get(ev.id);
        const error = ev.error === undefined ? undefined : new Error(`browser subscription failed: ${ev.error}`);
        s?.ready.reject(error ?? new Error('browser subscription ended before the SFU confirmed it'));
        s?.queue.end(error);
        break;
      }
    }
  }

  async connect(url: string, token: string, opts: PeerConnectOptions = {}): Promise<void> {
    const { browser, site } = await browserHost();
    this.context = await browser.newContext();
    const page = await this.context.newPage();
    this.page = page;
    page.on('pageerror', (e) => this.pageErrors.push(String(e)));
    if (process.env.LK_INTEROP_BROWSER_LOGS) page.on('console', (m) => console.log(`[browser ${this.localIdentity}] ${m.text()}`));
    await page.exposeBinding('lkReport', (_source, ev: PageEvent) => this.onPageEvent(ev));
    await withTimeout(page.goto(site.url), DEFAULT_TIMEOUT_MS, 'browser peer: loading the page');
    this.localIdentity = await this.inPage(
      'livekit-client connect',
      ([u, t, p]) => window.lkPeer.connect(u, t, p),
      [url, token, opts.e2eePassphrase] as const,
      20_000,
    );
  }

  async publish(name: string, opts: PeerPublishOptions = {}): Promise<PeerLocalTrack> {
    if (opts.schema || opts.frameEncoding) {
      throw new Error('livekit-client 2.23.0 does not support data-track schema / frame encoding');
    }
    const info = await this.inPage(`publish of ${name}`, (n) => window.lkPeer.publish(n), name);
    return {
      ...info,
      push: (payload, userTimestamp) =>
        this.inPage(
          `push on ${name}`,
          ([sid, bytes, ts]) => window.lkPeer.push(sid, bytes, ts),
          [info.sid, b64(payload), userTimestamp?.toString()] as const,
        ),
      unpublish: () => this.inPage(`unpublish of ${name}`, (sid) => window.lkPeer.unpublish(sid), info.sid),
    };
  }

  async waitForRemoteTrack(publisherIdentity: string, name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<PeerRemoteTrack> {
    const find = () => [...this.remoteTracks.values()].find((t) => t.publisherIdentity === publisherIdentity && t.name === name);
    let wake!: () => void;
    const found = new Promise<PageRemoteTrack>((resolve) => {
      wake = () => {
        const t = find();
        if (t) resolve(t);
      };
      this.trackWaiters.add(wake);
      wake();
    });
    const info = await withTimeout(found, timeoutMs, `browser peer: remote data track ${publisherIdentity}/${name}`).finally(() =>
      this.trackWaiters.delete(wake),
    );
    return {
      ...info,
      subscribe: (o) => this.subscribe(info.sid, o?.bufferSize ?? 64),
      waitForUnpublish: (t = DEFAULT_TIMEOUT_MS) =>
        withTimeout(this.latch(this.unpublished, info.sid).promise, t, `browser peer: unpublish of ${name}`),
    };
  }

  private subscribe(sid: string, bufferSize: number): PeerSubscription {
    // The id is ours, so events the page sends before `subscribe` returns still find their queue.
    const id = this.nextSubscriptionId++;
    const state: SubscriptionState = { queue: new FrameQueue(), ready: new Latch<void>() };
    this.subscriptions.set(id, state);
    this.inPage('subscribe', ([i, s, n]) => window.lkPeer.subscribe(i, s, n), [id, sid, bufferSize] as const).catch((e) => {
      state.ready.reject(e);
      state.queue.end(e);
    });
    return {
      ready: state.ready.promise,
      next: (t) => state.queue.next(t),
      ended: (t) => state.queue.ended(t),
      close: () => {
        state.queue.end();
        this.inPage('close subscription', (i) => window.lkPeer.closeSubscription(i), id).catch(() => {});
      },
      [Symbol.asyncIterator]: () => state.queue.iterate(),
    };
  }

  waitForParticipantLeft(identity: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return withTimeout(this.latch(this.left, identity).promise, timeoutMs, `browser peer: ${identity} leaving`);
  }

  async disconnect(): Promise<void> {
    const context = this.context;
    if (!context) return;
    await this.inPage('disconnect', () => window.lkPeer.disconnect(), undefined).catch(() => {});
    this.page = undefined;
    this.context = undefined;
    for (const s of this.subscriptions.values()) s.queue.end();
    await context.close().catch(() => {});
  }
}
