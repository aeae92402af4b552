// The package as a user gets it: `npm pack`, the tarball installed into a new project outside the
// repository, and there
//  (a) every ```ts block of README.md, every examples/*.ts and the public-surface checks below
//      type-checked with `tsc --strict` as ESM (nodenext, "type": "module"), as CommonJS (nodenext,
//      "type": "commonjs") and as CommonJS with node10 resolution;
//  (b) the README's first example compiled as ESM (`import`) and as CommonJS (`require`) and each
//      run against the embedded SFU until it has received its frames and closed everything.
// TypeScript and @types/node come from the repository's node_modules: nothing is downloaded.

import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const ROOT = path.resolve(__dirname, '../..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TYPE_ROOTS = path.join(ROOT, 'node_modules', '@types');
const PACKAGE = 'livekit-datatrack-node';

/** The README's TypeScript blocks, in order; the first is the one the README calls its first example. */
const README_BLOCKS = [...fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'));
/** What the demo itself builds with besides this package (its page bundler), from the repository. */
const EXAMPLE_DEPENDENCIES = ['esbuild'];
/** Frames the first example receives before it disconnects; its output has one line per frame. */
const FIRST_EXAMPLE_FRAME = /^robot\/telemetry: \{"x":\d+\}$/gm;

/**
 * What the package's types must say and must not: the data-track members exist where the README
 * uses them; the Room's host plumbing and the development SFU are not in the main entry.
 */
const SURFACE_CHECK = `
import * as main from '${PACKAGE}';
import { DevServer } from '${PACKAGE}/dev-server';
import type { LocalParticipant, Participant, RemoteParticipant, Room } from '${PACKAGE}';

export function check(room: Room, remote: RemoteParticipant, server: DevServer): void {
  const local: LocalParticipant = room.localParticipant;
  void local.publishDataTrack('t');
  void remote.waitForDataTrack('t', { signal: AbortSignal.timeout(1000) });
  const tracks: ReadonlyMap<string, unknown> = remote.dataTracks;
  const anyone: Participant[] = [local, remote];
  remote.on(main.ParticipantEvent.DataTrackPublished, (track) => track.subscribe());
  local.on(main.ParticipantEvent.LocalDataTrackPublished, (track) => track.tryPush({ payload: Uint8Array.of(1) }));
  void [tracks, anyone, server.url];

  // @ts-expect-error the development SFU is only in the dev-server subpath
  void main.DevServer;
  // @ts-expect-error host plumbing is not public
  room.sendSignal;
  // @ts-expect-error host plumbing is not public
  room.dataTrackChannel;
  // @ts-expect-error host plumbing is not public
  room.attachDataTrackListener;
  // @ts-expect-error host plumbing is not public
  room.waitUntilReady;
  // @ts-expect-error host plumbing is not public
  room.isConnected;
  // @ts-expect-error @internal members are stripped from the published declarations
  remote._adoptSession;
  // @ts-expect-error participants are created by their Room
  new main.LocalParticipant();
}
`;

interface Variant {
  name: string;
  /** package.json "type" of the directory the sources are compiled in. */
  type: 'module' | 'commonjs';
  compilerOptions: Record<string, unknown>;
  /** Runs the first example compiled this way. */
  runs: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'esm', type: 'module', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, runs: true },
  { name: 'cjs', type: 'commonjs', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, runs: true },
  {
    name: 'cjs-node10',
    type: 'commonjs',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
    runs: false,
  },
];

jest.setTimeout(600_000);

let work: string;
let project: string;
let packedFiles: string[];
let installOutput: string;

async function tsc(dir: string): Promise<void> {
  try {
    await run(process.execPath, [TSC, '-p', dir], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p ${path.basename(dir)} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

beforeAll(async () => {
  expect(README_BLOCKS.length).toBeGreaterThan(0);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ldt-pack-'));
  // `npm pack` runs `prepare`, so the tarball carries a build of the current sources.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = packed.files.map((f) => f.path);

  project = path.join(work, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'pack-check', version: '0.0.0', private: true }));
  // --foreground-scripts: the package's install step prints what it did with the addon.
  const install = await run(
    'npm',
    ['install', path.join(work, packed.filename), '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts'],
    { cwd: project, maxBuffer: 16 * 1024 * 1024 },
  );
  installOutput = install.stdout + install.stderr;
  for (const dep of EXAMPLE_DEPENDENCIES) {
    fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(project, 'node_modules', dep), 'dir');
  }

  for (const variant of VARIANTS) {
    const dir = path.join(project, variant.name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: variant.type }));
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          lib: ['ES2022'],
          types: ['node'],
          typeRoots: [TYPE_ROOTS],
          outDir: 'out',
          ...variant.compilerOptions,
        },
        include: ['*.ts', 'examples/*.ts'],
      }),
    );
    README_BLOCKS.forEach((code, i) => fs.writeFileSync(path.join(dir, `readme-${i + 1}.ts`), code));
    // The examples keep their layout (the demo imports its own modules) and are checked as a user
    // who copied the folder would compile them; the browser page is bundled, not compiled here.
    fs.cpSync(path.join(ROOT, 'examples'), path.join(dir, 'examples'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'surface.ts'), SURFACE_CHECK);
  }
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the build, types for both entries and the prebuilt addon, and no tests', () => {
  for (const file of [
    'dist/cjs/index.js',
    'dist/cjs/index.d.ts',
    'dist/esm/index.mjs',
    'dist/esm/index.d.mts',
    'dist/cjs/dev-server/index.js',
    'dist/cjs/dev-server/index.d.ts',
    'dist/esm/dev-server.mjs',
    'dist/esm/dev-server.d.mts',
    'bin/livekit-datatrack-node.cjs',
    'scripts/install.cjs',
    'native/Cargo.toml',
  ]) {
    expect(packedFiles).toContain(file);
  }
  expect(packedFiles.some((f) => /^native\/livekit-datatrack\.[\w-]+\.node$/.test(f))).toBe(true);
  expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('lib/') || f.startsWith('native/core/tests/'))).toEqual([]);
});

test('installing the tarball uses its prebuilt addon instead of compiling the Rust sources', () => {
  const installed = path.join(project, 'node_modules', PACKAGE);
  expect(installOutput).toMatch(/livekit-datatrack-node: using the prebuilt native\/livekit-datatrack\.[\w-]+\.node/);
  expect(fs.existsSync(path.join(installed, 'native', 'target'))).toBe(false);
});

describe.each(VARIANTS)('README blocks and examples type-check with tsc --strict: $name', (variant) => {
  test(`${README_BLOCKS.length} README blocks, ${EXAMPLES.length} examples and the surface checks`, async () => {
    await tsc(path.join(project, variant.name));
  });
});

describe.each(VARIANTS.filter((v) => v.runs))("the README's first example runs: $name", (variant) => {
  test('receives its frames from the embedded SFU and exits by itself', async () => {
    const out = path.join(project, variant.name, 'out');
    const compiled = fs.readFileSync(path.join(out, 'readme-1.js'), 'utf8');
    // The two builds really load the package the two ways.
    if (variant.type === 'module') expect(compiled).toMatch(new RegExp(`^import .* from '${PACKAGE}';$`, 'm'));
    else expect(compiled).toContain(`require("${PACKAGE}")`);

    const { stdout } = await run(process.execPath, [path.join(out, 'readme-1.js')], { cwd: project, timeout: 60_000 });
    expect(stdout.match(FIRST_EXAMPLE_FRAME)?.length).toBe(5);
  });
});

test('the installed main entry loads no dev-server module, under require and under import', async () => {
  const script = (load: string) => `
    ${load};
    const dist = require('node:path').join(process.cwd(), 'node_modules', '${PACKAGE}', 'dist');
    const loaded = Object.keys(require.cache).filter((k) => k.startsWith(dist));
    console.log(JSON.stringify({ loaded: loaded.length, devServer: loaded.filter((k) => k.includes('dev-server')) }));`;
  const viaRequire = await run(process.execPath, ['-e', script(`require('${PACKAGE}')`)], { cwd: project });
  const viaImport = await run(
    process.execPath,
    ['--input-type=module', '-e', `import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/');\n` + script(`await import('${PACKAGE}')`)],
    { cwd: project },
  );
  for (const { stdout } of [viaRequire, viaImport]) {
    const result = JSON.parse(stdout) as { loaded: number; devServer: string[] };
    expect(result.loaded).toBeGreaterThan(10);
    expect(result.devServer).toEqual([]);
  }
});

test('the installed CLI starts the development SFU and stops on SIGINT', async () => {
  const cli = spawn(path.join(project, 'node_modules', '.bin', PACKAGE), ['dev-server', '--port', '0'], { cwd: project });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    cli.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 20 s:\n${output}`)), 20_000);
    cli.stdout.on('data', (d: Buffer) => {
      output += String(d);
      if (/Ctrl\+C/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    cli.stderr.on('data', (d: Buffer) => (output += String(d)));
  });
  expect(output).toMatch(/listening on ws:\/\/127\.0\.0\.1:\d+/);
  cli.kill('SIGINT');
  expect({ ...(await exited), output }).toEqual({ code: 0, signal: null, output: expect.stringMatching(/stopped/) });
});
