// The package's entry points, from the sources: the main entry loads none of the development SFU
// (an application that never starts one does not load it), and the dev-server subpath does.
// Each check runs in a fresh process, so the module cache holds what that one import loaded.

import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The repository modules a fresh process has loaded after requiring `entry` (paths relative to lib/). */
function modulesLoadedBy(entry: string): string[] {
  const script = `
    require(${JSON.stringify(path.join(ROOT, entry))});
    const lib = ${JSON.stringify(path.join(ROOT, 'lib') + path.sep)};
    process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((k) => k.startsWith(lib)).map((k) => k.slice(lib.length))));
  `;
  const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

test('the main entry loads no dev-server module', () => {
  const loaded = modulesLoadedBy('lib/index.ts');
  expect(loaded).toContain('room/room.ts');
  expect(loaded.filter((m) => m.startsWith('dev-server/') || m === 'cli.ts')).toEqual([]);
});

test('the dev-server entry loads the development SFU', () => {
  const loaded = modulesLoadedBy('lib/dev-server/index.ts');
  expect(loaded).toContain('dev-server/server.ts');
});
