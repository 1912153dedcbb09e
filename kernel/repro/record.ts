// Writes the case files of kernel/divergences/cases/: each known divergence of a bundled kernel
// backend (expectations/linux-*.json) as the shortest operation sequence that shows it
// (kernel/divergences/README.md), plus a control per family that conforms. Each sequence is run
// on the kernel backend and judged by the model as `run` judges; the file records the kernel's
// answer, and a sequence that does not do what it is listed for is reported, not written.
//
//   node --import tsx kernel/repro/record.ts BACKEND [--out DIR]
//   BACKEND: linux-type1@virtio-iommu, linux-iommufd@virtio-iommu, linux-spapr-v2@pseries, linux-spapr-v1@pseries
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCase } from '../../harness/case-file.ts';
import { checkCase } from '../../harness/check.ts';
import { loadBackend } from '../../harness/load-backend.ts';
import type { FamilyOp } from '../../spec/family.ts';
import { x, type Planned } from './planned.ts';
import { SPAPR_V1, SPAPR_V2 } from './spapr.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOP = 0xfffffffffffff000n;

const t1mmap = (a: bigint, size: bigint) => ({ op: 'mmap', proc: 0, vaddr: x(a), size: x(size), prot: 'rw', backing: 'anon' });
const t1map = (flags: number, iova: bigint, vaddr: bigint, size: bigint) => ({ op: 'map', proc: 0, flags, iova: x(iova), vaddr: x(vaddr), size: x(size) });
const t1unmap = (flags: number, iova: bigint, size: bigint) => ({ op: 'unmap', proc: 0, flags, iova: x(iova), size: x(size) });

const TYPE1: Planned[] = [
  { name: 'type1--close-release', property: 'accounting', rule: 'T1-CLOSE-RELEASE',
    ops: (a) => [t1mmap(a, 0x1000n), t1map(3, TOP, a, 0x1000n), { op: 'closeContainer' }, { op: 'counters' }] },
  { name: 'type1--unmap-top', property: 'unmap-semantics', rule: 'T1-UNMAP-TOP',
    ops: (a) => [t1mmap(a, 0x1000n), t1map(3, TOP, a, 0x1000n), t1unmap(0, TOP, 0x1000n)] },
  { name: 'type1--unmap-all', property: 'unmap-semantics', rule: 'T1-UNMAP-ALL',
    ops: (a) => [t1mmap(a, 0x2000n), t1map(3, TOP, a, 0x1000n), t1map(3, 0x100000n, a + 0x1000n, 0x1000n), t1unmap(2, 0n, 0n)] },
  { name: 'type1--unmap-v2-bisect', property: 'accounting', rule: 'T1-UNMAP-V2-BISECT',
    ops: (a) => [t1mmap(a, 0x2000n), t1map(3, TOP - 0x1000n, a, 0x2000n), t1unmap(0, TOP, 0x1000n)] },
  { name: 'type1--vaddr-update-errno', property: 'vaddr', rule: 'T1-VADDR-UPDATE-ERRNO',
    ops: (a) => [t1mmap(a, 0x4000n), t1map(1, TOP - 0x3000n, a, 0x4000n), t1map(4, TOP - 0x3000n, a, 0x4000n)] },
  { name: 'type1--map-overlap', property: 'map-validation', rule: 'T1-MAP-OVERLAP',
    ops: (a) => [t1mmap(a, 0x3000n), t1map(3, TOP - 0x1000n, a, 0x2000n), t1map(3, TOP, a + 0x2000n, 0x1000n)] },
  { name: 'type1--control', property: 'accounting', rule: null,
    ops: (a) => [t1mmap(a, 0x2000n), { op: 'cpuWrite', proc: 0, vaddr: x(a), token: '0x5eed' }, t1map(3, 0x100000n, a, 0x2000n),
      { op: 'counters' }, t1unmap(0, 0x100000n, 0x2000n), { op: 'counters' }, t1map(1, 0x200000n, a, 0x1000n),
      { op: 'closeContainer' }, { op: 'counters' }, { op: 'cpuRead', proc: 0, vaddr: x(a) }] },
];

const FIXED_RW = 7; // FIXED_IOVA | WRITEABLE | READABLE
const fdmmap = (a: bigint, size: bigint) => ({ op: 'mmap', vaddr: x(a), size: x(size), prot: 'rw', backing: 'anon' });
const fdmap = (ioas: number, flags: number, iova: bigint, vaddr: bigint, length: bigint) => ({ op: 'map', ioas, flags, iova: x(iova), vaddr: x(vaddr), length: x(length) });
/** Device 0 attached to IOAS 0, then replaced into a fresh IOAS 1: virtio-iommu's unset aperture. */
const replaced = [{ op: 'ioasAlloc', ioas: 0 }, { op: 'bind', dev: 0 }, { op: 'attach', dev: 0, ioas: 0 }, { op: 'ioasAlloc', ioas: 1 }, { op: 'attach', dev: 0, ioas: 1 }];

const IOMMUFD: Planned[] = [
  { name: 'iommufd--map-exact', property: 'map-validation', rule: 'IOMMUFD-MAP-EXACT',
    ops: (a) => [fdmmap(a, 0x10000n), ...replaced, fdmap(1, FIXED_RW, 0x1000000n, a, 0x1000n)] },
  { name: 'iommufd--ranges-report', property: 'objects', rule: 'IOMMUFD-RANGES-REPORT',
    // the map into IOAS 0 only makes the ranges the last thing that changed, so that a wrong
    // report is blamed on the report and not on the replace (models/iommufd/system.ts)
    ops: (a) => [fdmmap(a, 0x10000n), ...replaced, fdmap(0, FIXED_RW, 0x1000000n, a, 0x1000n), { op: 'iovaRanges', ioas: 1 }] },
  { name: 'iommufd--map-alloc', property: 'map-validation', rule: 'IOMMUFD-MAP-ALLOC',
    ops: (a) => [fdmmap(a, 0x10000n), ...replaced, fdmap(1, 6, 0n, a, 0x1000n)] },
  { name: 'iommufd--map-unbacked', property: 'map-validation', rule: 'IOMMUFD-MAP-UNBACKED',
    ops: (a) => [fdmmap(a, 0x10000n), ...replaced, fdmap(1, FIXED_RW, 0x1000000n, a + 0x100000n, 0x1000n)] },
  { name: 'iommufd--attach-replace', property: 'objects', rule: 'IOMMUFD-ATTACH-REPLACE',
    ops: (a) => [fdmmap(a, 0x10000n), { op: 'ioasAlloc', ioas: 0 }, { op: 'bind', dev: 0 }, { op: 'attach', dev: 0, ioas: 0 },
      fdmap(0, FIXED_RW, 0x1000000n, a, 0x10000n), { op: 'ioasAlloc', ioas: 1 }, { op: 'attach', dev: 0, ioas: 1 }, { op: 'attach', dev: 0, ioas: 0 }] },
  { name: 'iommufd--attach-fill', property: 'objects', rule: 'IOMMUFD-ATTACH-FILL',
    ops: (a) => [{ op: 'ioasAlloc', ioas: 0 }, { op: 'ioasAlloc', ioas: 1 }, fdmap(1, FIXED_RW, 0x1000000n, a + 0x100000n, 0x1000n),
      { op: 'bind', dev: 0 }, { op: 'attach', dev: 0, ioas: 0 }, { op: 'attach', dev: 0, ioas: 1 }] },
  { name: 'iommufd--control', property: 'objects', rule: null,
    ops: (a) => [fdmmap(a, 0x10000n), { op: 'ioasAlloc', ioas: 0 }, { op: 'bind', dev: 0 }, { op: 'attach', dev: 0, ioas: 0 },
      fdmap(0, FIXED_RW, 0x1000000n, a, 0x2000n), { op: 'counters' }, { op: 'unmap', ioas: 0, iova: '0x1000000', length: '0x2000' },
      { op: 'counters' }, { op: 'detach', dev: 0 }, { op: 'closeCtx' }, { op: 'counters' }] },
];

const PLANNED: Record<string, Planned[]> = {
  'linux-type1@virtio-iommu': TYPE1,
  'linux-iommufd@virtio-iommu': IOMMUFD,
  'linux-spapr-v2@pseries': SPAPR_V2,
  'linux-spapr-v1@pseries': SPAPR_V1,
};

async function main(argv: string[]): Promise<number> {
  const spec = argv[0];
  // relative, so that the files' `replay` line names no directory of this machine
  const out = argv[1] === '--out' && argv[2] ? argv[2] : path.relative(process.cwd(), path.join(HERE, '..', 'divergences', 'cases'));
  const planned = spec ? PLANNED[spec] : undefined;
  if (!spec || !planned) throw new Error(`usage: record.ts ${Object.keys(PLANNED).join('|')} [--out DIR]`);
  const subject = await loadBackend(spec, 600_000);
  let wrong = 0;
  try {
    const info = subject.backend.info as unknown as { host: { arena: { start: bigint } } };
    for (const p of planned) {
      const ops: FamilyOp[] = p.ops(info.host.arena.start).map((o, i) => subject.family.decodeOp(o, `${p.name} ops[${i}]`));
      const verdict = await checkCase(subject, ops);
      const got = verdict.ok ? 'conforms' : `${verdict.violation.rule} at step ${verdict.violation.step}`;
      const last = verdict.ok ? null : verdict.violation.step;
      const asListed = p.rule === null ? verdict.ok : !verdict.ok && verdict.violation.rule === p.rule && last === ops.length - 1;
      console.log(`${asListed ? 'written' : 'NOT AS LISTED'}  ${p.name}: ${got} (listed: ${p.rule ?? 'conforms'})`);
      if (!asListed) { wrong++; continue; }
      writeCase(path.join(out, `${p.name}.case.json`), {
        family: subject.family, profile: subject.backend.info.profile, backend: spec, property: p.property, seed: 0, ops,
        info: subject.backend.info, ...(verdict.ok ? {} : { violation: verdict.violation }),
      });
    }
  } finally {
    await subject.backend.dispose?.();
  }
  return wrong === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: unknown) => {
  console.error(`record: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
});
