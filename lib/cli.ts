// `livekit-datatrack-node dev-server`: the embedded development SFU as a command, for running
// examples against without livekit-server or Docker.

import { performance } from 'node:perf_hooks';
import { DevServer } from './dev-server';

const USAGE = `Usage: livekit-datatrack-node dev-server [--port 7880] [--host 127.0.0.1] [--keys devkey:secret]

  --port   port for HTTP and WebSocket (default 7880, 0 = any free port)
  --host   address to listen on (default 127.0.0.1)
  --keys   API key and secret, "key:secret" (default devkey:secret)`;

interface DevServerArgs {
  port: number;
  host: string;
  apiKey: string;
  apiSecret: string;
}

function parseDevServerArgs(args: string[]): DevServerArgs {
  const out: DevServerArgs = { port: 7880, host: '127.0.0.1', apiKey: 'devkey', apiSecret: 'secret' };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port\n\n${USAGE}`);
        out.port = port;
        break;
      }
      case '--host':
        out.host = value();
        break;
      case '--keys': {
        // Same shape as livekit-server's --keys ("key: secret"), spaces optional.
        const m = /^\s*([^:\s]+)\s*:\s*(\S+)\s*$/.exec(value());
        if (!m) throw new Error(`--keys must look like key:secret\n\n${USAGE}`);
        out.apiKey = m[1];
        out.apiSecret = m[2];
        break;
      }
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${args[i]}\n\n${USAGE}`);
    }
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
  const started = performance.now();
  const server = await DevServer.start(args);
  const ms = performance.now() - started;
  console.log(`LiveKit data-track development server listening on ${server.url}`);
  console.log(`  API key:    ${server.apiKey}`);
  console.log(`  API secret: ${server.apiSecret}`);
  console.log(`  started in ${ms.toFixed(1)} ms`);
  console.log('Press Ctrl+C to stop.');

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  console.log('development server stopped');
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
