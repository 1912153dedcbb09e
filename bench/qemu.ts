// QEMU's real IOMMUs over qtest: what a run costs, per IOMMU and QEMU version.
//
//   npm run bench:qemu [-- --only NAME-SUBSTRING] [-- --reps N]
//
// For every bundled `qemu-*` backend, as a user runs it (its own process, over the protocol):
//   - start: from launching the backend to its first operation answered (QEMU started, the
//     IOMMU programmed, one reset), in seconds;
//   - map, invalidate, gate: page-table writes or requests answered per second, in batches;
//   - dma: milliseconds per DMA observed (a read and a write that reach memory), and per DMA
//     that faults (or, on the MPC, is blocked).
// Medians over the repetitions, [min..max] beside them. Absolute times vary with the machine;
// compare rows of one run.
import { viommu } from '../families/viommu.ts';
import { loadBackend } from '../harness/load-backend.ts';
import { bundledQemu } from '../qemu/bundled.ts';
import type { Subject } from '../harness/check.ts';
import type { BackendInfo } from '../spec/viommu/backend.ts';
import type { Op, Result } from '../spec/viommu/ops.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const REPS = Number(flag('--reps') ?? 3);
const ONLY = flag('--only');
const BATCH = 64;

type Column = 'start s' | 'map ops/s' | 'invalidate ops/s' | 'gate ops/s' | 'dma ms' | 'faulting dma ms';
const COLUMNS: Column[] = ['start s', 'map ops/s', 'invalidate ops/s', 'gate ops/s', 'dma ms', 'faulting dma ms'];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(subject: Subject, ops: Op[]): Promise<number> {
  const t0 = performance.now();
  const wire = await subject.backend.execute(ops as never);
  const ms = performance.now() - t0;
  wire.forEach((r, i) => {
    const result = viommu.decodeResult(ops[i]!, r, `result ${i}`, subject.backend.info as BackendInfo) as Result;
    if (!result.ok) throw new Error(`${viommu.formatOp(ops[i]!)} -> ${viommu.formatResult(result)}: the benchmark's operations must succeed`);
  });
  return ms;
}

/** One repetition against a fresh backend: every column the backend's capabilities allow. */
async function measure(name: string): Promise<Partial<Record<Column, number>>> {
  const out: Partial<Record<Column, number>> = {};
  const t0 = performance.now();
  const subject = await loadBackend(name, 180_000);
  try {
    const info = subject.backend.info as BackendInfo;
    const has = (c: string) => (info.capabilities as string[]).includes(c);
    const G = info.pageSizes[0]!;
    const pa = (i: number) => (info.ram?.start ?? 0n) + BigInt(i) * G;
    const iova = (i: number) => BigInt(i) * G;
    await subject.backend.reset();
    if (has('lut')) {
      await timed(subject, [{ op: 'gate', iova: 0n, size: G, ns: true }]);
      out['start s'] = (performance.now() - t0) / 1000;
      const gates: Op[] = Array.from({ length: BATCH }, (_, i) => ({ op: 'gate', iova: iova(i), size: G, ns: i % 2 === 0 }));
      out['gate ops/s'] = BATCH / (await timed(subject, gates) / 1000);
      if (has('dma')) {
        const reads: Op[] = Array.from({ length: 16 }, (_, i) => ({ op: 'dma', endpoint: 0, iova: iova(i) + 8n, access: i % 2 ? 'write' : 'read', secure: i % 4 < 2 }));
        const ms = await timed(subject, reads);
        out['dma ms'] = ms / reads.length;
      }
      return out;
    }
    await timed(subject, [{ op: 'attach', endpoint: 0, domain: 0 }]);
    out['start s'] = (performance.now() - t0) / 1000;
    const maps: Op[] = Array.from({ length: BATCH }, (_, i) => ({ op: 'map', domain: 0, iova: iova(i), size: G, pa: pa(i), perm: 'rw', page: G }));
    out['map ops/s'] = BATCH / (await timed(subject, maps) / 1000);
    if (has('tables')) {
      const invs: Op[] = Array.from({ length: BATCH }, (_, i) => ({ op: 'invalidate', scope: 'range', domain: 0, iova: iova(i), size: G }));
      out['invalidate ops/s'] = BATCH / (await timed(subject, invs) / 1000);
    }
    if (has('dma')) {
      const dmas: Op[] = Array.from({ length: 16 }, (_, i) => ({ op: 'dma', endpoint: 0, iova: iova(i) + 8n, access: i % 2 ? 'write' : 'read', secure: false }));
      out['dma ms'] = await timed(subject, dmas) / dmas.length;
      const faulting: Op[] = Array.from({ length: 8 }, (_, i) => ({ op: 'dma', endpoint: 0, iova: iova(BATCH + i), access: i % 2 ? 'write' : 'read', secure: false }));
      out['faulting dma ms'] = await timed(subject, faulting) / faulting.length;
    }
    return out;
  } finally {
    await subject.backend.dispose?.();
  }
}

const fmt = (column: Column, v: number): string => column === 'start s' ? v.toFixed(2) : column.endsWith('ops/s') ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);

async function main(): Promise<void> {
  const names = bundledQemu().map((b) => b.name).filter((name) => !ONLY || name.includes(ONLY));
  if (names.length === 0) throw new Error(`no bundled QEMU backend${ONLY ? ` matches ${ONLY}` : ''}`);
  console.log(`QEMU backends over qtest: ${REPS} repetitions each, medians [min..max]\n`);
  const rows: string[][] = [['backend', ...COLUMNS]];
  for (const name of names) {
    const samples: Partial<Record<Column, number[]>> = {};
    for (let rep = 0; rep < REPS; rep++) {
      const got = await measure(name);
      for (const [k, v] of Object.entries(got) as [Column, number][]) (samples[k] ??= []).push(v);
    }
    rows.push([name, ...COLUMNS.map((c) => {
      const xs = samples[c];
      return xs ? `${fmt(c, median(xs))} [${fmt(c, Math.min(...xs))}..${fmt(c, Math.max(...xs))}]` : '-';
    })]);
    process.stderr.write(`  ${name} done\n`);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:qemu: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
