// `npm run livekit-server`: builds the pinned livekit-server if needed and runs it on 127.0.0.1 with
// the config our tests use; prints URL, key and secret. `--build-only` just builds.

import { parseArgs } from 'node:util';
import { ensureLivekitServer } from './build';
import { LivekitServerProcess } from './process';
import { LIVEKIT_SERVER_VERSION } from './version';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'build-only': { type: 'boolean', default: false },
      keys: { type: 'string', default: 'devkey:secret' },
    },
  });
  const binary = ensureLivekitServer((line) => console.error(line));
  if (values['build-only']) {
    console.log(`livekit-server ${LIVEKIT_SERVER_VERSION}: ${binary}`);
    return;
  }
  const [apiKey, apiSecret] = values.keys.split(/:\s*/, 2);
  if (!apiKey || !apiSecret) throw new Error('--keys takes "key:secret"');
  const server = await LivekitServerProcess.start({ binary, apiKey, apiSecret });
  console.log(`livekit-server ${LIVEKIT_SERVER_VERSION}`);
  console.log(`LIVEKIT_URL=${server.url}`);
  console.log(`LIVEKIT_API_KEY=${server.apiKey}`);
  console.log(`LIVEKIT_API_SECRET=${server.apiSecret}`);
  console.log(`log: ${server.logPath}`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
