// Backend modules are user code: whatever one does, the run ends with a summary and the exit
// status says what happened. A module runs in a process of its own, so a promise that never
// settles or a loop that never ends is a request that times out, and the process is killed.
// Modules load from any directory and format; one that cannot be loaded says where, in one line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const root = resolve(new URL('..', import.meta.url).pathname);
// The installed command, so that it also runs from directories that know nothing of tsx.
const cli = (args: string[], cwd = root) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/vfio-conform.mjs'), ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const scratch = mkdtempSync(join(tmpdir(), 'vfio-conform-module-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

/** Live processes whose command line holds `marker` (zombies are gone already, only unreaped). */
function processesWith(marker: string): string[] {
  const live: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
      if (cmd.includes(marker) && state !== 'Z') live.push(`${pid} ${cmd}`);
    } catch {
      // gone while we looked
    }
  }
  return live;
}

/** Waits up to `ms` for the processes marked `marker` to end; kills any left, and fails. */
async function expectNoneLeft(marker: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  let left = processesWith(marker);
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    left = processesWith(marker);
  }
  for (const p of left) {
    try {
      process.kill(Number(p.split(' ')[0]), 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  expect(left).toEqual([]);
}

describe('a module backend that misbehaves is a one-line fault; the run goes on and fails', () => {
  // The fault starts in the second batch of 256 operations of the first case longer than 300.
  const AFTER = 300;
  const faults: [string, RegExp][] = [
    ['never', /backend faulty-never no reply to "execute" within 8 s: module test\/fixtures\/faulty-backend\.ts is stuck \(a promise that never settles, a loop that never ends\) or slower than --timeout$/m],
    ['busy', /backend faulty-busy no reply to "execute" within 8 s: module test\/fixtures\/faulty-backend\.ts is stuck/],
    ['throw', /backend faulty-throw threw: simulated crash$/m],
    ['extra', /backend faulty-extra returned (\d+) results for (?!\1)\d+ operations/],
  ];
  for (const [fault, message] of faults) {
    test(fault, async () => {
      const dir = join(scratch, fault);
      const tag = `${fault}${process.pid}${Date.now()}`;
      const r = cli(['run', '--runs', '3', '--timeout', '8', '--backend', `./test/fixtures/faulty-backend.ts:fault=${fault},after=${AFTER},tag=${tag}`,
        '--backend', 'sim-type1', '--cases', dir, '--json', join(dir, 'report.json')]);
      expect(r.status).toBe(1);
      const lines = (r.stdout + r.stderr).split('\n').filter((l) => message.test(l));
      expect(lines.length, r.stdout + r.stderr).toBeGreaterThan(0);
      noStackTrace(r.stdout + r.stderr);
      expect(r.stdout).toMatch(/^vfio-conform: \d+ passed, 1 failed, \d+ skipped$/m);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      const statuses = report.backends[0].properties.map((p: { status: string }) => p.status);
      // Passes, then the fault, then the properties not run after it.
      const at = statuses.indexOf('error');
      expect(at).toBeGreaterThanOrEqual(0);
      expect(statuses.slice(0, at).every((s: string) => s === 'pass')).toBe(true);
      expect(statuses.slice(at + 1).every((s: string) => s === 'skip')).toBe(true);
      expect(report.backends[1].properties.every((p: { status: string }) => p.status === 'pass')).toBe(true);
      // The case file holds the operations sent: the batches up to the one that faulted.
      const failed = report.backends[0].properties[at];
      const ops = JSON.parse(readFileSync(failed.case, 'utf8')).ops;
      expect(ops.length).toBeGreaterThan(AFTER);
      expect(ops.length).toBeLessThanOrEqual(512);
      await expectNoneLeft(tag);
    });
  }

  test('a busy module is killed even when it is the last backend of the run', async () => {
    const tag = `last${process.pid}${Date.now()}`;
    const r = cli(['run', '--runs', '2', '--timeout', '8', '--backend', `./test/fixtures/faulty-backend.ts:fault=busy,after=0,tag=${tag}`, '--cases', join(scratch, 'last')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^vfio-conform: 0 passed, 1 failed, \d+ skipped$/m);
    await expectNoneLeft(tag);
  });

  test('a busy module dies with the suite when the suite is killed outright', async () => {
    const tag = `orphan${process.pid}${Date.now()}`;
    const suite = spawn(process.execPath, [join(root, 'bin/vfio-conform.mjs'), 'run', '--runs', '2', '--timeout', '600',
      '--backend', `./test/fixtures/faulty-backend.ts:fault=busy,after=0,tag=${tag}`, '--cases', join(scratch, 'orphan')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      // The description line (stderr) comes after the hello: the next request, an execute, never returns.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the module backend did not start within 120 s')), 120_000);
        suite.stderr.on('data', (d: Buffer) => { if (d.toString().includes('fault=busy')) { clearTimeout(timer); resolve(); } });
      });
      await new Promise((r) => setTimeout(r, 1000));
      expect(processesWith(tag).length).toBeGreaterThan(0);
    } finally {
      suite.kill('SIGKILL');
    }
    await expectNoneLeft(tag);
  });
});

describe('a command left with work that never finishes fails instead of passing', () => {
  test('serve with an in-process backend whose promise never settles exits 1 with one line', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'serve', '--backend', './test/fixtures/faulty-backend.ts:fault=never,after=0'],
      { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const status = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.stdin.write(JSON.stringify({ id: 0, type: 'hello', protocol: 2, suite: 'test' }) + '\n');
    child.stdin.write(JSON.stringify({ id: 1, type: 'reset' }) + '\n');
    child.stdin.write(JSON.stringify({ id: 2, type: 'execute', ops: [{ op: 'getInfo' }] }) + '\n');
    child.stdin.end();
    expect(await status).toBe(1);
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['hello', 'reset']);
    expect(stderr.trim()).toBe('vfio-conform: internal error: the command stopped before it finished (a promise that never settles); nothing it printed is a result');
  });
});

describe('backend modules load from any directory, in any format', () => {
  test('.ts, .mts, .js, .mjs in a package of type module, commonjs, or none', () => {
    const suite = join(root, 'backends/type1/index.ts');
    const esm = (name: string) => `import { findBundled } from ${JSON.stringify(suite)};
export default function create(options) {
  const sim = findBundled('sim-type1').create(options);
  return { info: { ...sim.info, name: ${JSON.stringify(name)} }, reset: () => sim.reset(), execute: (ops) => sim.execute(ops) };
}
`;
    const specs: string[] = [];
    for (const type of ['module', 'commonjs', null]) {
      const dir = join(scratch, `pkg-${type ?? 'none'}`);
      mkdirSync(dir);
      if (type) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `pkg-${type}`, type }));
      for (const ext of ['ts', 'mts', 'js', 'mjs']) {
        const name = `m-${type ?? 'none'}-${ext}`;
        const source = esm(name);
        writeFileSync(join(dir, `${name}.${ext}`), /ts$/.test(ext) ? source.replace('(options)', '(options: Record<string, string>)').replace('(ops)', '(ops: never[])') : source);
        specs.push(`./${join(`pkg-${type ?? 'none'}`, `${name}.${ext}`)}`);
      }
      if (type !== 'module') {
        // CommonJS proper: require() and module.exports.
        const name = `c-${type ?? 'none'}-js`;
        writeFileSync(join(dir, `${name}.js`), esm(name).replace(/^import \{ findBundled \} from (.*);$/m, 'const { findBundled } = require($1);').replace('export default function', 'module.exports = function'));
        specs.push(`./${join(`pkg-${type ?? 'none'}`, `${name}.js`)}`);
      }
    }
    const r = cli(['run', '--runs', '1', '--rules', 'T1-MAP-PERM', ...specs.flatMap((s) => ['--backend', s]), '--cases', join(scratch, 'formats-cases')], scratch);
    expect(r.stderr).not.toMatch(/vfio-conform: backend/);
    expect(r.stdout).toMatch(new RegExp(`^vfio-conform: ${specs.length} passed, 0 failed, 0 skipped$`, 'm'));
    expect(r.status).toBe(0);
  });

  test('the replay command printed for a module backend\'s violation runs as printed', () => {
    const dir = join(scratch, 'replay');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stale.ts'), `import { findBundled } from ${JSON.stringify(join(root, 'backends/type1/index.ts'))};
export default () => findBundled('sim-type1~unmap-stale-tail')!.create({});
`);
    const r = cli(['run', '--backend', './stale.ts', '--rules', 'T1-NO-STALE', '--runs', '50'], dir);
    expect(r.status).toBe(1);
    const command = /^ {2}replay: (.*)$/m.exec(r.stdout)?.[1];
    expect(command, r.stdout).toMatch(/^npx vfio-conform replay /);
    const replay = spawnSync('bash', ['-c', command!.replace(/^npx vfio-conform/, `${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, 'bin/vfio-conform.mjs'))}`)], { cwd: dir, encoding: 'utf8' });
    expect(replay.stdout + replay.stderr).toMatch(/^reproduced: T1-NO-STALE at step \d+$/m);
    expect(replay.status).toBe(1);
  });

  test('a module that cannot be loaded is one line saying file:line:column and what is wrong', () => {
    const dir = join(scratch, 'broken');
    mkdirSync(dir);
    const files: [string, string, RegExp][] = [
      ['syntax.ts', 'const a: number = 1;\nexport default () => {\n  return {{ a b };\n};\n', /backend module \.\/syntax\.ts failed to load: syntax\.ts:3:11: Expected identifier but found "\{"$/m],
      ['syntax.mjs', 'const a = 1;\nexport default () => {\n  return {{ a b };\n};\n', /backend module \.\/syntax\.mjs failed to load: syntax\.mjs:3:11: /m],
      ['missing.ts', "import { x } from 'no-such-package';\nexport default x;\n", /backend module \.\/missing\.ts failed to load: missing\.ts:1:19: Cannot find (module|package) 'no-such-package'/m],
      ['top-level.ts', "const a = 1;\nthrow new Error('cannot start: no device');\nexport default () => a;\n", /backend module \.\/top-level\.ts failed to load: top-level\.ts:2:7: cannot start: no device$/m],
      ['factory.ts', "export default () => {\n  throw new TypeError('no IOMMU group given');\n};\n", /backend module \.\/factory\.ts: factory threw: factory\.ts:2:9: no IOMMU group given$/m],
      ['no-default.ts', 'export const create = () => ({});\n', /backend module \.\/no-default\.ts has no default export function \(a BackendFactory\)$/m],
    ];
    for (const [file, text] of files) writeFileSync(join(dir, file), text);
    const r = cli(['run', '--runs', '1', ...files.flatMap(([file]) => ['--backend', `./${file}`]), '--backend', 'sim-type1', '--rules', 'T1-MAP-PERM', '--cases', join(dir, 'cases')], dir);
    expect(r.status).toBe(1);
    for (const [, , message] of files) expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/Transform failed/);
    noStackTrace(r.stdout + r.stderr);
    expect(r.stdout).toMatch(/^vfio-conform: 1 passed, 6 failed, \d+ skipped$/m);
  });
});
