// Out-of-process backends: the suite runs through the protocol of spec/protocol.md, and every
// way a peer can break it is reported as exactly that, with a case file, never a hang.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const scratches: string[] = [];
const scratch = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratches.push(dir);
  return dir;
};
afterAll(() => { for (const dir of scratches) rmSync(dir, { recursive: true, force: true }); });
const serve = (name: string) => `exec:${process.execPath} --import tsx harness/cli/main.ts serve --backend ${name}`;

describe('protocol: the suite through a pipe', () => {
  test('the bundled simulator served over stdio conforms, and a served mutant is caught', () => {
    const dir = scratch('vfio-conform-stream-');
    const good = cli('run', '--runs', '10', '--backend', serve('sim-type1'), '--cases', dir);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^vfio-conform: 8 passed, 0 failed, 0 skipped$/m);
    const r = cli('run', '--runs', '10', '--backend', serve('sim-type1~charge-once'), '--rules', 'T1-ACCT-PER-MAPPING', '--cases', dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('VIOLATION T1-ACCT-PER-MAPPING on sim-type1~charge-once');
    const file = readdirSync(dir).find((f) => f.startsWith('sim-type1~charge-once'))!;
    const replay = cli('replay', join(dir, file), '--backend', serve('sim-type1~charge-once'));
    expect(replay.stdout).toMatch(/reproduced: T1-ACCT-PER-MAPPING/);
  });
});

describe('protocol faults are reported as such', () => {
  const peer = (mode: string) => `exec:${process.execPath} test/fixtures/bad-peer.mjs ${mode}`;
  const faults: [string, RegExp][] = [
    ['crash', /exited with status 139 \(its last words on stderr: agent: segmentation fault in map\)/],
    ['hang', /no reply to "execute" within 2 s/],
    ['garbage', /sent a line that is not JSON: this is not json/],
    ['out-of-order', /reply out of order: expected id \d+, got \d+/],
    ['short', /returned 1 results for \d+ operations/],
    ['error', /backend reported an error: VFIO_IOMMU_MAP_DMA: unexpected state/],
  ];
  for (const [mode, message] of faults) {
    test(mode, () => {
      const dir = scratch('vfio-conform-fault-');
      // Only the hanging peer is meant to hit the timeout; the others get slack for a loaded machine.
      const timeout = mode === 'hang' ? '2' : '30';
      const r = cli('run', '--runs', '3', '--timeout', timeout, '--backend', peer(mode), '--backend', 'sim-type1', '--cases', dir);
      expect(r.status).toBe(1);
      expect(r.stderr + r.stdout).toMatch(message);
      expect(r.stdout).toMatch(/^vfio-conform: 8 passed, 1 failed, 7 skipped$/m); // the 7 not run after the fault
      expect(readdirSync(dir).some((f) => f.startsWith(`bad-peer-${mode}`))).toBe(true);
    });
  }

  for (const [mode, message] of [['bad-hello', /malformed hello: hello\.info\.geometry\./], ['exit-early', /exited with status 3/]] as const) {
    test(`${mode}: the backend cannot be loaded`, () => {
      const r = cli('run', '--runs', '3', '--backend', peer(mode));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });
  }
});
