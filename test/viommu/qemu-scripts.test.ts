// The QEMU runners' own command lines (qemu/conform.ts, qemu/diff-versions.ts): bad input ends in
// one line and exit status 2, before any QEMU starts.
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('qemu/conform.ts and qemu/diff-versions.ts refuse what names no backend', () => {
  test('conform: an unknown version', () => {
    const r = run('qemu/conform.ts', '--version', '9.9');
    expect(r.stderr.trim()).toBe('conform:qemu: --version 9.9: expected 7.2 or 11.1');
    expect(r.status).toBe(2);
  });

  test('conform: an IOMMU no bundled backend has', () => {
    const r = run('qemu/conform.ts', '--only', 'amd-vi');
    expect(r.stderr.trim()).toBe('conform:qemu: no bundled QEMU backend matches --only amd-vi');
    expect(r.status).toBe(2);
  });

  test('diff-versions: an IOMMU not bundled on both versions', () => {
    const r = run('qemu/diff-versions.ts', '--only', 'intel-iommu-flts');
    expect(r.stderr.trim()).toBe('diff-versions: no IOMMU is bundled for both QEMU 7.2 and 11.1 named intel-iommu-flts');
    expect(r.status).toBe(2);
  });
});
