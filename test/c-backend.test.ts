// The example C backend (examples/c-backend) conforms: it builds with the system C compiler and
// passes the whole suite through the stdio protocol, as a type1v2 and as a type1v1 container.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const binary = 'examples/c-backend/vfio-c-backend';
const scratches: string[] = [];
const scratch = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratches.push(dir);
  return dir;
};
afterAll(() => { for (const dir of scratches) rmSync(dir, { recursive: true, force: true }); });

/** Build once; every test fails with the reason when it cannot (never skipped: CI has gcc). */
let buildError: string | undefined;
function build(): void {
  buildError ??= (() => {
    const cc = spawnSync('cc', ['--version'], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0) return 'examples/c-backend needs a C compiler: `cc` was not found on PATH (install gcc or clang)';
    const make = spawnSync('make', ['-C', 'examples/c-backend'], { cwd: root, encoding: 'utf8' });
    if (make.error) return `cannot run make: ${make.error.message} (install make)`;
    if (make.status !== 0) return `make -C examples/c-backend failed:\n${make.stdout}${make.stderr}`;
    return '';
  })();
  if (buildError) throw new Error(buildError);
}

/** Request lines in, reply lines out (the backend exits at EOF). */
function exchange(lines: object[], args: string[] = []): Record<string, unknown>[] {
  const r = spawnSync(join(root, binary), args, { input: lines.map((l) => JSON.stringify(l) + '\n').join(''), encoding: 'utf8', timeout: 10_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('examples/c-backend', () => {
  test('answers hello in the protocol version asked: 1 as before, 2 with the family, anything else an error', () => {
    build();
    const [v1, v2, v3, none, v1again] = exchange([
      { id: 0, type: 'hello', protocol: 1, suite: 'test' },
      { id: 1, type: 'hello', protocol: 2, suite: 'test' },
      { id: 2, type: 'hello', protocol: 3, suite: 'test' },
      { id: 3, type: 'hello', suite: 'test' },
      { id: 4, type: 'hello', protocol: 1, suite: 'test' },
    ], ['v1']);
    expect(Object.keys(v1!)).toEqual(['id', 'type', 'protocol', 'info']);
    expect(v1).toMatchObject({ id: 0, type: 'hello', protocol: 1, info: { name: 'c-example-type1-v1', profile: 'type1v1' } });
    expect(Object.keys(v2!)).toEqual(['id', 'type', 'protocol', 'family', 'info']);
    expect(v2).toEqual({ id: 1, type: 'hello', protocol: 2, family: 'type1', info: v1!.info });
    expect(v3).toEqual({ id: 2, type: 'error', message: 'this backend speaks protocols 1 and 2' });
    expect(none).toMatchObject({ id: 3, type: 'error' });
    expect(v1again).toEqual({ ...v1, id: 4 });
  });

  test('maps PROT_NONE mmio READ-only once its pages were touched, never WRITE (T1-MAP-UNBACKED)', () => {
    build();
    const A = 0x7f0000000000n;
    const hx = (n: bigint) => '0x' + n.toString(16);
    const page = (i: bigint) => hx(A + i * 0x1000n);
    const [, , reply] = exchange([
      { id: 0, type: 'hello', protocol: 1, suite: 'test' },
      { id: 1, type: 'reset' },
      { id: 2, type: 'execute', ops: [
        { op: 'mmap', proc: 0, vaddr: page(0n), size: '0x2000', prot: 'rw', backing: 'mmio' },
        { op: 'cpuRead', proc: 0, vaddr: page(0n) },
        { op: 'mprotect', proc: 0, vaddr: page(0n), size: '0x2000', prot: 'none' },
        { op: 'map', proc: 0, flags: 3, iova: '0x100000', vaddr: page(0n), size: '0x1000' },
        { op: 'map', proc: 0, flags: 1, iova: '0x100000', vaddr: page(0n), size: '0x2000' },
        { op: 'map', proc: 0, flags: 1, iova: '0x100000', vaddr: page(0n), size: '0x1000' },
        { op: 'counters' },
      ] },
    ]);
    expect(reply).toEqual({ id: 2, type: 'results', results: [
      { ok: true }, { ok: true, token: '0x0' }, { ok: true },
      { ok: false, errno: 'EFAULT' }, { ok: false, errno: 'EFAULT' }, { ok: true }, { ok: true, lockedVm: ['0x0', '0x0'] },
    ] });
  });

  for (const [profile, args] of [['type1v2', ''], ['type1v1', ' v1']] as const) {
    test(`builds and conforms as ${profile}`, () => {
      build();
      const cases = scratch('vfio-conform-c-backend-');
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'harness/cli/main.ts', 'run', '--backend', `exec:${binary}${args}`, '--runs', '20', '--cases', cases],
        { cwd: root, encoding: 'utf8', timeout: 240_000 },
      );
      expect(r.stdout + r.stderr).not.toMatch(/VIOLATION|could not be loaded/);
      expect(r.stdout).toMatch(/^vfio-conform: 8 passed, 0 failed, 1 skipped$/m); // dirty-tracking: no dirtyPages capability
      expect(r.status).toBe(0);
    });
  }

  test('diff finds no difference between it and sim-type1, and one between it as v1 and sim-type1', () => {
    build();
    const diff = (a: string, b: string, ...more: string[]) => spawnSync(
      process.execPath,
      ['--import', 'tsx', 'harness/cli/main.ts', 'diff', '--backend', a, '--backend', b, ...more, '--runs', '30', '--cases', scratch('vfio-conform-c-diff-')],
      { cwd: root, encoding: 'utf8', timeout: 240_000 },
    );
    const same = diff('sim-type1', `exec:${binary}`);
    expect(same.stdout).toMatch(/^vfio-conform diff: 0 properties differ$/m);
    expect(same.status).toBe(0);
    const v1 = diff('sim-type1', `exec:${binary} v1`, '--rules', 'T1-UNMAP-V2-BISECT');
    expect(v1.stdout).toMatch(/DIFFERENCE at step \d+: the spec allows both answers/);
    expect(v1.stdout).toMatch(/conforms to T1-UNMAP-V2-BISECT/);
    expect(v1.status).toBe(1);
  });
});
