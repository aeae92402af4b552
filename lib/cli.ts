// `livekit-datatrack-node dev-server`: the embedded development SFU as a command, for running
// examples against without livekit-server or Docker.

import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DevServer, type DevServerOptions } from './dev-server';

const USAGE = `Usage: livekit-datatrack-node dev-server [--port 7880] [--host 127.0.0.1] [--keys devkey:secret]

  --port   port for HTTP and WebSocket (default 7880, 0 = any free port)
  --host   address to listen on (default 127.0.0.1)
  --keys   API key and secret, "key:secret" (default devkey:secret)
  --help   print this and exit`;

/** livekit-server's dev port; the library's DevServer.start() picks a free one instead. */
const DEFAULT_PORT = 7880;

type DevServerArgs = Pick<DevServerOptions, 'port' | 'host' | 'apiKey' | 'apiSecret'>;

function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        // Host and keys default to DevServer's own defaults.
        port: { type: 'string' },
        host: { type: 'string' },
        keys: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    // parseArgs names the offending option ("Unknown option '--bogus'", "Option '--port <value>' argument missing").
    throw new Error(`${(err as Error).message}\n\n${USAGE}`, { cause: err });
  }
}

/** The options of `dev-server`, or null for --help. Throws with the usage on anything else. */
function parseDevServerArgs(args: string[]): DevServerArgs | null {
  const values = parseOptions(args);
  if (values.help) return null;
  const out: DevServerArgs = { port: DEFAULT_PORT, host: values.host };
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (values.port.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`invalid --port ${values.port}\n\n${USAGE}`);
    }
    out.port = port;
  }
  if (values.keys !== undefined) {
    // Same shape as livekit-server's --keys ("key: secret"), spaces optional.
    const keys = /^\s*([^:\s]+)\s*:\s*(\S+)\s*$/.exec(values.keys);
    if (!keys) throw new Error(`--keys must look like key:secret\n\n${USAGE}`);
    out.apiKey = keys[1];
    out.apiSecret = keys[2];
  }
  return out;
}

/** Runs a command; for `dev-server`, resolves once SIGINT/SIGTERM has closed the server. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'dev-server') {
    throw new Error(command ? `unknown command ${command}\n\n${USAGE}` : USAGE);
  }
  const args = parseDevServerArgs(rest);
  if (args === null) {
    console.log(USAGE);
    return;
  }
  // Listening for SIGINT/SIGTERM before the banner says Ctrl+C stops the server: a signal that
  // arrives right after it must close the server, not kill the process. The first one removes the
  // listeners, so a second Ctrl+C during the close still ends the process.
  let unlisten = () => {};
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      unlisten();
      resolve();
    };
    unlisten = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  try {
    const started = performance.now();
    const server = await DevServer.start(args);
    const ms = performance.now() - started;
    console.log(`LiveKit data-track development server listening on ${server.url}`);
    console.log(`  API key:    ${server.apiKey}`);
    console.log(`  API secret: ${server.apiSecret}`);
    console.log(`  started in ${ms.toFixed(1)} ms`);
    console.log('Press Ctrl+C to stop.');
    await stopped;
    await server.close();
    console.log('development server stopped');
  } finally {
    unlisten();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
