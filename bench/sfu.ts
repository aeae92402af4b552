// The development SFU of a bench row, as its own process (bench/lib/sfu-process.ts).

import { serveDevServer } from './lib/sfu-process';

serveDevServer().catch((err) => {
  console.error(err);
  process.exit(1);
});
