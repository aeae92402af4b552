// server.close() must end every connection and leave nothing running: a process that only ran a
// DevServer exits by itself right after close() resolves, even with live peer connections, channels
// and subscriptions at the time of closing (their clients are in this process and stay up).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { TestClient } from './helpers/client';
import { buildPacket } from './helpers/dtp';
import { withTimeout } from './helpers/wait';

const SCRIPT = path.join(__dirname, 'helpers', 'server-process.ts');
/** Generous for a loaded 2-core machine; a leaked native handle keeps the process for good (or until a GC). */
const EXIT_BOUND_MS = 5000;

class ServerProcess {
  private readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  line(prefix: string): Promise<string> {
    return withTimeout(
      new Promise<string>((resolve) => {
        const check = () => {
          const i = this.lines.findIndex((l) => l.startsWith(prefix));
          if (i >= 0) resolve(this.lines.splice(i, 1)[0].slice(prefix.length));
          else this.waiters.push(check);
        };
        check();
      }),
      20_000,
      `"${prefix.trim()}" from the server process`,
    );
  }

  async token(identity: string): Promise<string> {
    this.child.stdin.write(`token ${identity}\n`);
    return this.line('token ');
  }
}

test('after close() the server process exits by itself, with nothing left running', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { cwd: path.join(__dirname, '..', '..'), stdio: 'pipe' });
  const proc = new ServerProcess(child);
  const clients: TestClient[] = [];
  try {
    const url = await proc.line('url ');
    const pub = await TestClient.connect(url, await proc.token('pub'), 'pub');
    clients.push(pub);
    const sub = await TestClient.connect(url, await proc.token('sub'), 'sub', { media: true });
    clients.push(sub);
    await Promise.all([pub.waitDataChannel(), sub.waitDataChannel()]);
    const info = await pub.publishOk(1, 'a');
    sub.subscribe(info.sid);
    await sub.nextHandles();
    pub.sendPacket(buildPacket({ handle: 1, payload: Buffer.from('before close') }));
    await sub.nextPacket();

    child.stdin.write('close\n');
    const stats = JSON.parse(await proc.line('closed '));
    expect(stats.packetsForwarded).toBe(1);
    const closedAt = Date.now();
    // Every connection ended: signal sockets and the SFU side of each peer connection.
    await Promise.all(clients.map((c) => c.waitClosed()));
    await Promise.all(clients.map((c) => c.waitDataChannelGone()));
    expect(await withTimeout(proc.exited, EXIT_BOUND_MS, 'the server process to exit by itself')).toBe(0);
    expect(Date.now() - closedAt).toBeLessThan(EXIT_BOUND_MS);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
