// A participant in another room of the SFU, in a process of its own: it sends ping_req every
// PERIOD_MS and records each pong's round trip, which is how long the SFU left it waiting.

import { Ping } from '@livekit/protocol';
import { RawSignal } from './raw-signal';

export type ToProbe = { type: 'reset' } | { type: 'report' };
export interface ProbeReport {
  type: 'report';
  pings: number;
  pongs: number;
  maxRttMs: number;
  /** Longest stretch without any pong, pings outstanding (what a ping_timeout would see). */
  maxSilenceMs: number;
}

const PERIOD_MS = 10;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function main(): Promise<void> {
  const [url, token] = process.argv.slice(2);
  const signal = await RawSignal.join(url, token);
  let pings = 0;
  let pongs = 0;
  let maxRtt = 0;
  let lastPong = nowMs();
  let maxSilence = 0;
  signal.onMessage((m) => {
    if (m.case !== 'pongResp') return;
    const now = nowMs();
    pongs++;
    maxRtt = Math.max(maxRtt, now - Number(m.value.lastPingTimestamp) / 1000);
    maxSilence = Math.max(maxSilence, now - lastPong);
    lastPong = now;
  });
  // Timestamps in µs of the monotonic clock: sub-ms round trips stay visible.
  const timer = setInterval(() => {
    pings++;
    signal.send({ case: 'pingReq', value: new Ping({ timestamp: BigInt(Math.round(nowMs() * 1000)) }) });
  }, PERIOD_MS);
  process.on('message', (m: ToProbe) => {
    if (m.type === 'reset') {
      pings = pongs = maxRtt = maxSilence = 0;
      lastPong = nowMs();
    } else {
      // Pings stop; the report waits (bounded) for the answers still on their way.
      clearInterval(timer);
      const deadline = nowMs() + 120_000;
      const finish = () => {
        if (pongs < pings && nowMs() < deadline) return void setTimeout(finish, PERIOD_MS);
        process.send!({ type: 'report', pings, pongs, maxRttMs: maxRtt, maxSilenceMs: maxSilence } satisfies ProbeReport);
      };
      finish();
    }
  });
  process.on('disconnect', () => {
    clearInterval(timer);
    signal.close();
  });
  process.send!({ type: 'ready' });
}

void main();
