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
    const running = main(['dev-server', '--port=0', '--host', '127.0.0.1', '--keys', 'mykey:mysecret']);
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
  await expect(main(['dev-server', '--port', 'abc'])).rejects.toThrow(/invalid --port abc[\s\S]*Usage/);
  await expect(main(['dev-server', '--port', '70000'])).rejects.toThrow(/invalid --port/);
  await expect(main(['dev-server', '--port'])).rejects.toThrow(/--port[\s\S]*Usage/);
  await expect(main(['dev-server', '--keys', 'nocolon'])).rejects.toThrow(/--keys must look like key:secret/);
  await expect(main(['dev-server', '--bogus'])).rejects.toThrow(/unknown option '--bogus'[\s\S]*Usage/i);
  await expect(main(['dev-server', 'extra'])).rejects.toThrow(/Usage/);
});

test('--help prints the usage and starts nothing', async () => {
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await main(['dev-server', '--help']);
    await main(['dev-server', '-h']);
    expect(log).toHaveBeenCalledTimes(2);
    expect(String(log.mock.calls[0][0])).toMatch(/^Usage: livekit-datatrack-node dev-server/);
  } finally {
    log.mockRestore();
  }
});
