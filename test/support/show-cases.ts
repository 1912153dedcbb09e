// Case files to draw: written the way the suite writes them, judged by the model.
import { join } from 'node:path';
import { type1 } from '../../families/type1.ts';
import { writeCase } from '../../harness/case-file.ts';
import { firstViolation } from '../../harness/check.ts';
import type { Op, Result } from '../../spec/type1/ops.ts';
import { testInfo } from '../type1/support/info.ts';

const info = testInfo();

/** Write a case whose backend answers as the model does, except at `step`, where it answers `wrong`. */
function write(dir: string, name: string, ops: Op[], step: number, wrong: Result): string {
  const model = type1.model(info);
  const results = ops.map((op) => model.apply(op).result);
  results[step] = wrong;
  const violation = firstViolation(type1, info, ops, results);
  if (!violation || violation.step !== step) throw new Error(`fixture ${name}: the model does not reject step ${step}`);
  const path = join(dir, `${name}.case.json`);
  writeCase(path, { family: type1, profile: info.profile, backend: 'sim-type1', property: 'fixture', seed: 1, ops, info, violation });
  return path;
}

/**
 * Sparse: mappings at 0x1000000 and at the top page of the 64-bit space, the VMA behind them
 * moved by mremap, and a DMA through the first one that reads a stale token.
 */
export function sparseCase(dir: string): string {
  return write(dir, 'sparse', [
    { op: 'mmap', proc: 0, vaddr: 0x7f0000000000n, size: 0x2000n, prot: 'rw', backing: 'anon' },
    { op: 'map', proc: 0, flags: 3, iova: 0x1000000n, vaddr: 0x7f0000000000n, size: 0x1000n },
    { op: 'map', proc: 0, flags: 3, iova: 0xfffffffffffff000n, vaddr: 0x7f0000001000n, size: 0x1000n },
    { op: 'mremap', proc: 0, vaddr: 0x7f0000000000n, size: 0x2000n, newVaddr: 0x7f0000100000n, newSize: 0x2000n },
    { op: 'cpuWrite', proc: 0, vaddr: 0x7f0000100000n, token: 0x42n },
    { op: 'dmaRead', iova: 0xfffffffffffff000n },
    { op: 'dmaRead', iova: 0x1000000n },
  ], 6, { ok: true, token: 0n });
}

/** Two processes, and a dump of the mappings that still lists one unmapped the step before. */
export function staleDumpCase(dir: string): string {
  return write(dir, 'stale-dump', [
    { op: 'mmap', proc: 0, vaddr: 0x7f0000000000n, size: 0x4000n, prot: 'rw', backing: 'anon' },
    { op: 'mmap', proc: 1, vaddr: 0x7f0000100000n, size: 0x2000n, prot: 'r', backing: 'anon' },
    { op: 'map', proc: 0, flags: 3, iova: 0x1000000n, vaddr: 0x7f0000000000n, size: 0x4000n },
    { op: 'map', proc: 1, flags: 1, iova: 0x40000000n, vaddr: 0x7f0000100000n, size: 0x2000n },
    { op: 'unmap', proc: 0, flags: 0, iova: 0x1000000n, size: 0x4000n },
    { op: 'dumpMappings' },
    { op: 'counters' },
  ], 5, { ok: true, mappings: [{ iova: 0x1000000n, size: 0x4000n, read: true, write: true }, { iova: 0x40000000n, size: 0x2000n, read: true, write: false }] });
}
