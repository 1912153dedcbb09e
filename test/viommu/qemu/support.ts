// What the opt-in QEMU tests share: the switch, a backend opened for a describe block, a hand
// case judged by the model, and the two ways users run QEMU's IOMMUs, `qemu/conform.ts` (the
// family with each backend's expectations file) and `qemu/diff-versions.ts` (7.2 against 11.1).
// Each starts QEMU (and builds 11.1's tree on first use), so nothing runs without
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu/
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { firstViolation, type Subject, type Violation } from '../../../harness/check.ts';
import { loadBackend } from '../../../harness/load-backend.ts';
import type { RunReport } from '../../../harness/report.ts';
import { viommu } from '../../../families/viommu.ts';
import { bundledQemu as qemuBackends } from '../../../qemu/bundled.ts';
import type { BackendInfo } from '../../../spec/viommu/backend.ts';
import type { Op, Result } from '../../../spec/viommu/ops.ts';

export const enabled = process.env.VFIO_CONFORM_QEMU === '1';
const root = new URL('../../..', import.meta.url).pathname;
const LONG = 600_000;

/** Guest RAM where the x86 machines (q35) start. */
export const RAM = 0x40000000n;

export const dma = (endpoint: number, iova: bigint, access: 'read' | 'write', secure = false): Op => ({ op: 'dma', endpoint, iova, access, secure });
export const memory = (addr: bigint): Result => ({ ok: true, outcome: 'memory', addr });
export const fault: Result = { ok: true, outcome: 'fault' };
export const fail = (errno: string): Result => ({ ok: false, errno } as Result);

/** A backend loaded out of process for one describe block, disposed of (QEMU killed) after it. */
export function opened(spec: string, timeoutMs = 120_000): { subject: Subject; info: BackendInfo } {
  const handle = {} as { subject: Subject; info: BackendInfo };
  beforeAll(async () => {
    handle.subject = await loadBackend(spec, timeoutMs);
    handle.info = handle.subject.backend.info as BackendInfo;
  }, timeoutMs);
  afterAll(async () => { await handle.subject?.backend.dispose?.(); });
  return handle;
}

/** A hand-written case on a freshly reset backend: its decoded answers and the model's verdict. */
export async function judged(subject: Subject, ops: Op[]): Promise<{ results: Result[]; violation: Violation | null }> {
  await subject.backend.reset();
  const wire = await subject.backend.execute(ops);
  const results = wire.map((r, i) => viommu.decodeResult(ops[i]!, r, `result ${i}`, subject.backend.info as never)) as Result[];
  return { results, violation: firstViolation(viommu as never, subject.backend.info, ops, results) };
}

/** The bundled QEMU backends, `qemu-VERSION:IOMMU`, as `[version, IOMMU]` (qemu/bundled.ts). */
export function bundledQemu(): [string, string][] {
  return qemuBackends().map((b) => [b.version, b.iommu]);
}

const expectationsFile = (backend: string): string => join(root, 'expectations', `${backend}.json`);

/** The rules a backend's expectations file lists as known QEMU divergences. */
export function knownRules(backend: string): string[] {
  if (!existsSync(expectationsFile(backend))) return [];
  return (JSON.parse(readFileSync(expectationsFile(backend), 'utf8')) as { known: { rule: string }[] }).known.map((k) => k.rule);
}

function node(script: string, args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8', timeout: LONG });
}

/**
 * The family against every bundled version of `iommu`, the way `npm run conform:qemu` runs it:
 * through qemu/conform.ts, so the backend's expectations file applies. Every property not named
 * in `statuses` may be anything but a failure or an error (both make conform.ts exit non-zero).
 */
export function familyRuns(iommu: string, statuses: Record<string, 'pass' | 'skip'>, runs = 10): void {
  const versions = bundledQemu().filter(([, name]) => name === iommu).map(([v]) => v);
  describe.skipIf(!enabled)(`${iommu}: the family runs through qemu/conform.ts`, () => {
    let dir: string;
    beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'qemu-conform-')); });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('is bundled', () => expect(versions.length).toBeGreaterThan(0));
    test.each(versions)(`QEMU %s: ${Object.entries(statuses).map(([p, s]) => `${p} ${s}`).join(', ')}`, (version) => {
      const backend = `qemu-${version}:${iommu}`;
      const json = join(dir, `${backend}.json`);
      const r = node('qemu/conform.ts', ['--only', iommu, '--version', version, '--runs', String(runs), '--json', json, '--cases', join(dir, `${backend}-cases`)]);
      const log = `${backend}: ${r.stdout.slice(-3000)}${r.stderr.slice(-2000)}`;
      expect(existsSync(json), log).toBe(true);
      const report = JSON.parse(readFileSync(json, 'utf8')) as RunReport;
      expect(report.backends.map((b) => b.backend)).toEqual([backend]);
      // The expectations file, where the backend has one, is what conform.ts adds.
      const expected = existsSync(expectationsFile(backend)) ? [backend] : [];
      expect((report.options.expectations as { backend: string }[]).map((e) => e.backend)).toEqual(expected);
      const [b] = report.backends;
      expect(b!.error, log).toBeNull();
      expect(Object.fromEntries(b!.properties.map((p) => [p.property, p.status])), log).toMatchObject(statuses);
      expect(b!.properties.filter((p) => p.status === 'fail' || p.status === 'error'), log).toEqual([]);
      expect(r.status, log).toBe(0);
    }, LONG);
  });
}

/** What a `vfio-conform diff` summary line says: properties that differ, and how many depart from the spec. */
export function diffSummary(stdout: string): { differ: number; departing: number } | null {
  const m = /vfio-conform diff: (\d+) propert(?:y differs|ies differ)(?: \((\d+) departing from the spec\))?/.exec(stdout);
  return m ? { differ: Number(m[1]), departing: Number(m[2] ?? 0) } : null;
}

/** `qemu/diff-versions.ts` for one IOMMU: QEMU 7.2 and 11.1 on the same generated cases; a departure fails it. */
export function diffVersions(iommu: string, runs = 10): { status: number | null; summary: ReturnType<typeof diffSummary>; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'qemu-diff-'));
  try {
    const r = node('qemu/diff-versions.ts', ['--only', iommu, '--runs', String(runs), '--fail-on', 'departure', '--cases', dir]);
    return { status: r.status, summary: diffSummary(r.stdout), log: `${iommu}: ${r.stdout.slice(-3000)}${r.stderr.slice(-2000)}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
