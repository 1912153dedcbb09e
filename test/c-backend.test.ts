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

describe('examples/c-backend', () => {
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
      expect(r.stdout).toMatch(/^vfio-conform: 8 passed, 0 failed, 0 skipped$/m);
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
