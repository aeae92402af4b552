// A DevServer in a process of its own, for teardown tests: it prints its URL, closes the server when
// told to on stdin, prints "closed", and then must exit by itself (it never calls process.exit).

import * as readline from 'node:readline';
import { DevServer } from '../../../lib/dev-server';

async function run(): Promise<void> {
  const server = await DevServer.start();
  process.stdout.write(`url ${server.url}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.startsWith('token ')) {
      process.stdout.write(`token ${await server.token(line.slice('token '.length))}\n`);
    } else if (line === 'close') {
      await server.close();
      process.stdout.write(`closed ${JSON.stringify(server.stats())}\n`);
      lines.close();
      process.stdin.destroy();
      return;
    }
  }
}

void run();
