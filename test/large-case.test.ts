// A case of a quarter of a million operations (a fuzzer's, or one written by hand) reads,
// replays, prints and minimizes: nothing spreads an array into one call's arguments.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCase } from '../harness/case-file.ts';
import { checkCase } from '../harness/check.ts';
import { loadBackend } from '../harness/load-backend.ts';
import { minimizeOps } from '../harness/minimize.ts';
import { minimizeCase } from '../harness/run.ts';
import { cli, noStackTrace, scratch } from './support/cli.ts';

const N = 250_000;

/** N getInfo, then the four operations that leave a stale IOTLB page on the mutant. */
function writeLargeCase(dir: string, backend: string, tail: boolean): string {
  const ops: unknown[] = Array.from({ length: N }, (_, i) => (i % 2 ? { op: 'getInfo' } : { op: 'dmaRead', iova: `0x${(i * 0x1000).toString(16)}` }));
  if (tail) {
    ops.push(
      { op: 'mmap', proc: 0, vaddr: '0x7f0000000000', size: '0x1000', prot: 'rw', backing: 'anon' },
      { op: 'map', proc: 0, flags: 3, iova: '0xfffffffffffff000', vaddr: '0x7f0000000000', size: '0x1000' },
      { op: 'unmap', proc: 0, flags: 0, iova: '0xfffffffffffff000', size: '0x1000' },
      { op: 'dmaRead', iova: '0xfffffffffffff000' },
    );
  }
  const path = join(dir, `${tail ? 'stale' : 'plain'}.case.json`);
  writeFileSync(path, JSON.stringify({ format: 'vfio-conform/case', version: 2, family: 'type1', backend, property: 'unmap-semantics', seed: 1, failure: { rule: 'T1-NO-STALE' }, ops }));
  return path;
}

describe(`a case of ${N} operations`, () => {
  test('replays on sim-type1', () => {
    const r = cli(['replay', writeLargeCase(scratch(), 'sim-type1', false)]);
    expect(r.stdout).toMatch(new RegExp(`not reproduced: sim-type1 answers all ${N} operations`));
    expect(r.status).toBe(0);
  });

  test('replays on a mutant, and the failing case prints with its first and last operations', () => {
    const r = cli(['replay', writeLargeCase(scratch(), 'sim-type1~unmap-stale-tail', true)]);
    expect(r.stderr).toBe('');
    expect(noStackTrace(r.stdout)).toBe(true);
    expect(r.stdout).toMatch(new RegExp(`^reproduced: T1-NO-STALE at step ${N + 3}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^  \\.\\.\\. ${N + 4 - 200} operations not shown \\(the case file holds them all\\)$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^> #${N + 3} +dmaRead iova=0xfffffffffffff000 +expected EFAULT, got ok`, 'm'));
    expect(r.stdout.split('\n').length).toBeLessThan(300);
    expect(r.status).toBe(1);
  });

  test('minimizes to the four operations that matter', async () => {
    const loaded = readCase(writeLargeCase(scratch(), 'sim-type1~unmap-stale-tail', true));
    expect(loaded.ops).toHaveLength(N + 4);
    const subject = await loadBackend('sim-type1~unmap-stale-tail');
    const verdict = await checkCase(subject, loaded.ops);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    const minimal = await minimizeCase(subject, loaded.ops, verdict.violation);
    expect(minimal.map((op) => op.op)).toEqual(['mmap', 'map', 'unmap', 'dmaRead']);
  });

  test('the minimizer itself on a million elements', async () => {
    const ops = Array.from({ length: 1_000_000 }, (_, i) => i);
    const minimal = await minimizeOps(ops, async (candidate) => candidate.includes(123_456) && candidate.includes(999_999));
    expect(minimal).toEqual([123_456, 999_999]);
  });
});
