// The package as a user gets it: the main tarball and this platform's package tarball
// (`scripts/pack.cjs`), installed into new projects outside the repository two ways:
//  - prebuilt: both tarballs, as npm installs the main package with its optional dependency on this
//    platform; the addon comes from the platform package and nothing is compiled;
//  - from source: the main tarball alone, as on a platform without a prebuilt (the registry has no
//    platform package, so npm installs without it); its install step builds the addon
//    from the tarball's native/ sources (node-gyp, binding.gyp, cargo). That build keeps its cargo
//    target directory between runs (FROM_SOURCE_TARGET_DIR), so crates.io dependencies are compiled
//    once; our two crates are compiled from the tarball's sources every time (their path differs).
// With the prebuilt install,
//  (a) every ```ts block of README.md, every examples/*.ts and the public-surface checks below are
//      type-checked with `tsc --strict` as ESM (nodenext, "type": "module"), as CommonJS (nodenext,
//      "type": "commonjs") and as CommonJS with node10 resolution;
//  (b) the README's first example, compiled as ESM (`import`) and as CommonJS (`require`), is run
//      against the embedded SFU until it has received its frames and closed everything; the ESM build
//      runs on the from-source install too.
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
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { platformSuffix } = require(path.join(ROOT, 'scripts', 'platform.cjs')) as { platformSuffix(): string };
const SUFFIX = platformSuffix();
const PLATFORM_PACKAGE = `${PACKAGE}-${SUFFIX}`;
const ADDON_FILE = `livekit-datatrack.${SUFFIX}.node`;
/**
 * CARGO_TARGET_DIR of the from-source install. Not the repository's own: a cdylib's file in deps/ has
 * no per-source hash, so a build of the tarball's copy would replace the repository's.
 */
const FROM_SOURCE_TARGET_DIR = path.join(ROOT, 'native', 'target', 'package-test');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

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

interface Packed {
  filename: string;
  files: string[];
}

/** An installed project: its folder and what npm printed (--foreground-scripts shows the install step). */
interface Install {
  dir: string;
  output: string;
}

let work: string;
let packed: { main: Packed; platform: Packed };
let prebuilt: Install;
let fromSource: Install;

async function tsc(dir: string): Promise<void> {
  try {
    await run(process.execPath, [TSC, '-p', dir], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p ${path.basename(dir)} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/**
 * A new project in work/<name> with `tarballs` installed. `--prefer-offline`, not `--offline`: npm 11
 * resolves each dependency from its full packument, which an install from a lockfile does not cache, so
 * a new machine needs the registry once for those; tarballs come from the cache.
 */
async function install(name: string, tarballs: string[], env: NodeJS.ProcessEnv = {}): Promise<Install> {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `pack-check-${name}`, version: '0.0.0', private: true }));
  try {
    const { stdout, stderr } = await run(
      'npm',
      ['install', ...tarballs, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'],
      { cwd: dir, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
    );
    return { dir, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`npm install in ${name} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Where the installed package in `dir` finds its addon (lib/native/load.ts's answer), and whether it loads. */
async function addonOf(dir: string, env: NodeJS.ProcessEnv = {}): Promise<{ path: string; source: string; exports: number }> {
  const load = path.join(dir, 'node_modules', PACKAGE, 'dist', 'cjs', 'native', 'load.js');
  const script = `const l = require(${JSON.stringify(load)});
    console.log(JSON.stringify({ ...l.locateAddon(), exports: Object.keys(l.loadAddon()).length }));`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: dir, env: { ...process.env, ...env } });
  return JSON.parse(stdout) as { path: string; source: string; exports: number };
}

beforeAll(async () => {
  expect(README_BLOCKS.length).toBeGreaterThan(0);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ldt-pack-'));
  // The main package's `prepare` compiles the current sources; the platform package gets native/'s addon.
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'scripts', 'pack.cjs'), '--destination', work, '--json'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  packed = JSON.parse(stdout) as typeof packed;

  [prebuilt, fromSource] = await Promise.all([
    install('prebuilt', [packed.main.filename, packed.platform.filename]),
    // The platform package is not on the registry, so npm drops the optional dependency it cannot fetch
    // and goes on, as on a platform that has none. (--omit=optional would also drop node-datachannel's.)
    install('from-source', [packed.main.filename], { CARGO_TARGET_DIR: FROM_SOURCE_TARGET_DIR }),
  ]);
  for (const dep of EXAMPLE_DEPENDENCIES) {
    fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(prebuilt.dir, 'node_modules', dep), 'dir');
  }

  for (const variant of VARIANTS) {
    const dir = path.join(prebuilt.dir, variant.name);
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

test('the main tarball holds the build, types for both entries and the native sources, and no addon and no tests', () => {
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
    'scripts/build-native.cjs',
    'binding.gyp',
    'native/Cargo.toml',
    'native/Cargo.lock',
    'native/core/src/lib.rs',
    'native/node/src/lib.rs',
  ]) {
    expect(packed.main.files).toContain(file);
  }
  // The platform package carries the addon; a copy here would be one platform's binary for everyone.
  expect(packed.main.files.filter((f) => f.endsWith('.node'))).toEqual([]);
  expect(packed.main.files.filter((f) => f.startsWith('test/') || f.startsWith('lib/') || f.startsWith('native/core/tests/'))).toEqual([]);
});

test('the platform tarball is the addon alone, for this os, cpu and libc, at the main version', () => {
  expect([...packed.platform.files].sort()).toEqual(['README.md', ADDON_FILE, 'package.json']);
  const manifest = JSON.parse(fs.readFileSync(path.join(prebuilt.dir, 'node_modules', PLATFORM_PACKAGE, 'package.json'), 'utf8'));
  expect(manifest).toMatchObject({ name: PLATFORM_PACKAGE, version: VERSION, main: ADDON_FILE, os: [process.platform], cpu: [process.arch] });
  if (process.platform === 'linux') expect(manifest.libc).toEqual([SUFFIX.endsWith('-gnu') ? 'glibc' : 'musl']);
  const main = JSON.parse(fs.readFileSync(path.join(prebuilt.dir, 'node_modules', PACKAGE, 'package.json'), 'utf8'));
  expect(main.optionalDependencies).toEqual({ [PLATFORM_PACKAGE]: VERSION });
});

test('installed with its platform package, the main package loads the prebuilt addon and compiles nothing', async () => {
  const installed = path.join(prebuilt.dir, 'node_modules', PACKAGE);
  expect(prebuilt.output).toContain(`livekit-datatrack-node: using the prebuilt addon of ${PLATFORM_PACKAGE}`);
  expect(prebuilt.output).not.toMatch(/Compiling|gyp info/);
  expect(['build', path.join('native', 'target'), path.join('native', ADDON_FILE)].filter((p) => fs.existsSync(path.join(installed, p)))).toEqual([]);
  expect(await addonOf(prebuilt.dir)).toEqual({
    path: path.join(prebuilt.dir, 'node_modules', PLATFORM_PACKAGE, ADDON_FILE),
    source: 'platform package',
    exports: expect.any(Number),
  });
});

test('installed alone, the main package builds the addon from its sources through binding.gyp and cargo', async () => {
  const installed = path.join(fromSource.dir, 'node_modules', PACKAGE);
  expect(fs.existsSync(path.join(fromSource.dir, 'node_modules', PLATFORM_PACKAGE))).toBe(false);
  expect(fromSource.output).toContain(`livekit-datatrack-node: building the addon from source (${PLATFORM_PACKAGE}@${VERSION} is not installed)`);
  expect(fromSource.output).toContain('binding_gyp_livekit_datatrack_target_cargo_build');
  // cargo compiled the tarball's copy of the sources, not the repository's.
  expect(fromSource.output).toContain(`Compiling livekit-datatrack-node v${VERSION} (${path.join(installed, 'native', 'node')})`);
  const addon = await addonOf(fromSource.dir);
  expect(addon).toEqual({ path: path.join(installed, 'native', ADDON_FILE), source: 'source build', exports: expect.any(Number) });
  expect(addon.exports).toBe((await addonOf(prebuilt.dir)).exports);
});

test('LIVEKIT_DATATRACK_NATIVE_PATH chooses the addon file', async () => {
  const forced = path.join(fromSource.dir, 'node_modules', PACKAGE, 'native', ADDON_FILE);
  expect(await addonOf(prebuilt.dir, { LIVEKIT_DATATRACK_NATIVE_PATH: forced })).toMatchObject({ path: forced, source: 'environment' });
});

test('without a prebuilt or a build, loading the addon fails saying what it looked for and how to build it', async () => {
  // The installed main package as the prebuilt install has it, without its platform package.
  const bare = path.join(work, 'bare', 'node_modules', PACKAGE);
  fs.cpSync(path.join(prebuilt.dir, 'node_modules', PACKAGE), bare, { recursive: true });
  const failure = await addonOf(path.dirname(path.dirname(bare))).then(
    () => new Error('the addon loaded'),
    (err: { stderr: string }) => err.stderr,
  );
  expect(failure).toContain(`no native addon for ${SUFFIX}`);
  expect(failure).toContain(path.join(bare, 'native', ADDON_FILE));
  expect(failure).toContain(`${PLATFORM_PACKAGE}@${VERSION} is not installed`);
  expect(failure).toContain('npm rebuild livekit-datatrack-node');
  expect(failure).toContain('LIVEKIT_DATATRACK_NATIVE_PATH');
});

describe.each(VARIANTS)('README blocks and examples type-check with tsc --strict: $name', (variant) => {
  test(`${README_BLOCKS.length} README blocks, ${EXAMPLES.length} examples and the surface checks`, async () => {
    await tsc(path.join(prebuilt.dir, variant.name));
  });
});

/** The README's first example runs built each way on the prebuilt install, and as ESM on the from-source one. */
const RUNS = [
  ...VARIANTS.filter((v) => v.runs).map((variant) => ({ variant, install: 'prebuilt' as const })),
  { variant: VARIANTS.find((v) => v.name === 'esm')!, install: 'from-source' as const },
];

describe.each(RUNS)("the README's first example runs: $variant.name, $install", ({ variant, install }) => {
  test('receives its frames from the embedded SFU and exits by itself', async () => {
    const compiledIn = path.join(prebuilt.dir, variant.name);
    let dir = compiledIn;
    if (install === 'from-source') {
      // The build the type-check made, next to the other install's node_modules.
      dir = path.join(fromSource.dir, variant.name);
      fs.mkdirSync(dir, { recursive: true });
      fs.cpSync(path.join(compiledIn, 'package.json'), path.join(dir, 'package.json'));
      fs.cpSync(path.join(compiledIn, 'out'), path.join(dir, 'out'), { recursive: true });
    }
    const out = path.join(dir, 'out');
    const compiled = fs.readFileSync(path.join(out, 'readme-1.js'), 'utf8');
    // The two builds really load the package the two ways.
    if (variant.type === 'module') expect(compiled).toMatch(new RegExp(`^import .* from '${PACKAGE}';$`, 'm'));
    else expect(compiled).toContain(`require("${PACKAGE}")`);

    const { stdout } = await run(process.execPath, [path.join(out, 'readme-1.js')], { cwd: path.dirname(dir), timeout: 60_000 });
    expect(stdout.match(FIRST_EXAMPLE_FRAME)?.length).toBe(5);
  });
});

test('the installed main entry loads no dev-server module and no protocol package, under require and under import', async () => {
  const script = (load: string) => `
    ${load};
    const modules = require('node:path').join(process.cwd(), 'node_modules');
    const dist = require('node:path').join(modules, '${PACKAGE}', 'dist');
    const loaded = Object.keys(require.cache).filter((k) => k.startsWith(dist));
    const protocolPackages = Object.keys(require.cache).filter((k) => /node_modules[\\/]@(livekit[\\/]protocol|bufbuild[\\/]protobuf)[\\/]/.test(k));
    console.log(JSON.stringify({ loaded: loaded.length, devServer: loaded.filter((k) => k.includes('dev-server')), protocolPackages }));`;
  const viaRequire = await run(process.execPath, ['-e', script(`require('${PACKAGE}')`)], { cwd: prebuilt.dir });
  const viaImport = await run(
    process.execPath,
    ['--input-type=module', '-e', `import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/');\n` + script(`await import('${PACKAGE}')`)],
    { cwd: prebuilt.dir },
  );
  const devServer = await run(process.execPath, ['-e', script(`require('${PACKAGE}/dev-server')`)], { cwd: prebuilt.dir });
  for (const { stdout } of [viaRequire, viaImport]) {
    const result = JSON.parse(stdout) as { loaded: number; devServer: string[]; protocolPackages: string[] };
    expect(result.loaded).toBeGreaterThan(10);
    expect(result.devServer).toEqual([]);
    // The messages come from dist's own tree-shaken bundle (scripts/bundle-protocol.cjs).
    expect(result.protocolPackages).toEqual([]);
  }
  expect((JSON.parse(devServer.stdout) as { protocolPackages: string[] }).protocolPackages).toEqual([]);
});

test('the installed CLI starts the development SFU and stops on SIGINT', async () => {
  const cli = spawn(path.join(prebuilt.dir, 'node_modules', '.bin', PACKAGE), ['dev-server', '--port', '0'], { cwd: prebuilt.dir });
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
