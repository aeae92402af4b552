// The development SFU as a bench process of its own: bundled and run under plain node, as an
// application runs the built package, so what is measured is its forwarding and not this
// orchestrator's tsx loader and heap. It reports where it listens, and closes when told to or
// when the orchestrator goes away.

import { DevServer } from '../lib/dev-server';

export interface SfuListening {
  type: 'listening';
  url: string;
  apiKey: string;
  apiSecret: string;
}

async function main(): Promise<void> {
  const server = await DevServer.start({ port: 0 });
  const close = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('message', close);
  process.once('disconnect', close);
  const listening: SfuListening = { type: 'listening', url: server.url, apiKey: server.apiKey, apiSecret: server.apiSecret };
  process.send!(listening);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
