import { main } from '../../lib/cli';
import { TestClient } from './helpers/client';
import { withTimeout } from './helpers/wait';

test('dev-server command starts, prints URL, keys and start time, serves joins, and stops on SIGINT', async () => {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  try {
    const printed = new Promise<void>((resolve) => {
      log.mockImplementation((...args: unknown[]) => {
        lines.push(args.join(' '));
        if (lines.some((l) => /Ctrl\+C/.test(l))) resolve();
      });
    });
    const running = main(['dev-server', '--port', '0', '--host', '127.0.0.1', '--keys', 'mykey:mysecret']);
    await withTimeout(printed, 5000, 'the CLI banner');
    const url = /listening on (ws:\/\/\S+)/.exec(lines.join('\n'))![1];
    expect(lines.join('\n')).toMatch(/API key:\s+mykey/);
    expect(lines.join('\n')).toMatch(/API secret:\s+mysecret/);
    expect(lines.join('\n')).toMatch(/started in \d+(\.\d+)? ms/);

    // The printed key/secret are the ones the server verifies.
    const { mintToken } = await import('../../lib/dev-server/auth');
    const c = await TestClient.connect(url, await mintToken('mykey', 'mysecret', 'cli-user'), 'cli-user', { noPeerConnection: true });
    expect(c.join.participant?.identity).toBe('cli-user');

    process.emit('SIGINT');
    await withTimeout(running, 5000, 'the CLI to stop');
    await c.waitClosed();
    expect(lines.join('\n')).toMatch(/stopped/);
  } finally {
    log.mockRestore();
  }
});

test('unknown commands and bad options are rejected with usage', async () => {
  await expect(main(['serve'])).rejects.toThrow(/Usage/);
  await expect(main(['dev-server', '--port', 'abc'])).rejects.toThrow(/--port/);
  await expect(main(['dev-server', '--keys', 'nocolon'])).rejects.toThrow(/--keys/);
  await expect(main(['dev-server', '--bogus'])).rejects.toThrow(/unknown option/);
});
