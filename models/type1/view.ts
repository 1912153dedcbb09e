// The type1 side of `show`: a case replayed through the reference model, drawn as lanes.
//
// The IOVA space holds the container's mappings; each process's address space holds its VMAs.
// Both are coloured by the memory object behind them, so a mapping that still pins the pages
// of a VMA long gone keeps the colour of that VMA, and a new mmap at the same address shows in
// another. The model is read only through its public accessors.
import type { BackendInfo } from '../../spec/type1/backend.ts';
import type { Op, Result } from '../../spec/type1/ops.ts';
import { MAP_FLAG, UNMAP_FLAG } from '../../spec/type1/ops.ts';
import { SPACE_END, type Timeline, type ViewInterval, type ViewLane, type ViewProbe, type ViewReserved, type ViewStep, type ViewTarget } from '../../spec/timeline.ts';
import { hex } from '../../spec/u64.ts';
import type { Process, Vma } from '../host.ts';
import type { Dma } from './container.ts';
import { SystemModel } from './system.ts';

const IOVA = 'iova';
const procLane = (p: number): string => `proc${p}`;
const tone = (object: number): string => `memory object ${object}`;
const perm = (read: boolean, write: boolean): string => (read && write ? 'rw' : read ? 'r' : write ? 'w' : '-');

/** [start, start + size) clipped to the u64 space; a zero size is a point. */
const span = (start: bigint, size: bigint): { start: bigint; end: bigint } =>
  ({ start, end: start + size > SPACE_END ? SPACE_END : start + size });

export function type1View(info: BackendInfo, ops: readonly Op[], actual: readonly (Result | undefined)[]): Timeline {
  const model = new SystemModel(info);
  const procs = model.procs.map((_, p) => p);

  const steps: ViewStep[] = ops.map((op, i) => {
    const expectation = model.apply(op);
    const state: Record<string, ViewInterval[]> = { [IOVA]: [...model.container.mappings].map(mappingInterval) };
    for (const p of procs) state[procLane(p)] = model.procs[p]!.vmaList.map((v) => vmaInterval(v, p));
    const got = actual[i];
    const step: ViewStep = {
      lanes: state,
      probes: probes(op, expectation.result.ok ? 'hit' : 'fault', got),
      targets: targets(op),
      facts: facts(model.procs, model.container.dmaAvail),
    };
    if (op.op === 'dumpMappings' && got?.ok && 'mappings' in got) {
      const ours = new Map([...model.container.mappings].map((d) => [`${d.iova}+${d.size}`, d]));
      step.reported = {
        [IOVA]: got.mappings.map((m) => {
          const same = ours.get(`${m.iova}+${m.size}`);
          return {
            ...span(m.iova, m.size), label: perm(m.read, m.write), kind: 'mapping the backend reports',
            ...(same?.frames[0] ? { tone: tone(same.frames[0].object) } : {}),
            detail: `the backend reports iova ${hex(m.iova)} size ${hex(m.size)} ${perm(m.read, m.write)}${same ? '' : ' (the model holds no such mapping)'}`,
          };
        }),
      };
    }
    return step;
  });
  // A process's lane is drawn when something happens in it: the first process's always.
  const shown = procs.filter((p) => p === 0 || steps.some((s) =>
    s.lanes[procLane(p)]!.length > 0 || s.probes.some((x) => x.lane === procLane(p)) || s.targets.some((t) => t.lane === procLane(p))));
  const lanes: ViewLane[] = [
    { id: IOVA, title: 'IOVA space (the device)', bounds: { start: 0n, end: SPACE_END }, reserved: reservedIova(info) },
    ...shown.map((p) => ({ id: procLane(p), title: `process ${p} virtual addresses`, bounds: { start: 0n, end: SPACE_END } })),
  ];
  return { lanes, steps };
}

/** The complement of the valid IOVA ranges (inclusive ends) in the u64 space. */
function reservedIova(info: BackendInfo): ViewReserved[] {
  const ranges = [...info.geometry.iovaRanges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: ViewReserved[] = [];
  let at = 0n;
  for (const r of ranges) {
    if (r.start > at) out.push({ start: at, end: r.start, label: 'not a valid IOVA range' });
    if (r.end + 1n > at) at = r.end + 1n;
  }
  if (at < SPACE_END) out.push({ start: at, end: SPACE_END, label: 'not a valid IOVA range' });
  return out;
}

function mappingInterval(d: Dma): ViewInterval {
  const objects = [...new Set(d.frames.map((f) => f.object))];
  const pinned = d.frames.reduce((n, f) => n + f.pages, 0n);
  return {
    ...span(d.iova, d.size),
    label: `${perm(d.read, d.write)} p${d.owner}${d.vaddrValid ? '' : ' no vaddr'}`,
    kind: 'IOMMU mapping',
    ...(objects[0] !== undefined ? { tone: tone(objects[0]) } : {}),
    style: d.vaddrValid ? 'solid' : 'dashed',
    detail: [
      `mapping iova ${hex(d.iova)} size ${hex(d.size)} ${perm(d.read, d.write)}`,
      `from process ${d.owner} vaddr ${hex(d.vaddr)}${d.vaddrValid ? '' : ' (invalidated by UNMAP_FLAG_VADDR)'}`,
      `pins ${pinned} pages of ${objects.map(tone).join(', ')}; charged ${d.lockedVm} pages`,
    ].join('\n'),
  };
}

function vmaInterval(v: Vma, proc: number): ViewInterval {
  return {
    start: v.start, end: v.end,
    label: `${v.backing} ${v.prot}`,
    kind: `VMA`,
    tone: tone(v.object),
    detail: `process ${proc} VMA ${hex(v.start)}-${hex(v.end)} ${v.backing} prot ${v.prot}\n${tone(v.object)} from page ${v.pgoff}`,
  };
}

function probes(op: Op, expected: 'hit' | 'fault', got: Result | undefined): ViewProbe[] {
  const actual = got ? { actual: got.ok ? 'hit' as const : 'fault' as const } : {};
  switch (op.op) {
    case 'dmaRead': case 'dmaWrite': return [{ lane: IOVA, at: op.iova, label: op.op, expected, ...actual }];
    case 'cpuRead': case 'cpuWrite': return [{ lane: procLane(op.proc), at: op.vaddr, label: op.op, expected, ...actual }];
    default: return [];
  }
}

function targets(op: Op): ViewTarget[] {
  switch (op.op) {
    case 'map': {
      const verb = op.flags & MAP_FLAG.VADDR ? 'new vaddr' : 'map';
      return [{ lane: IOVA, ...span(op.iova, op.size), label: verb }, { lane: procLane(op.proc), ...span(op.vaddr, op.size), label: verb }];
    }
    case 'unmap':
      return [{ lane: IOVA, ...(op.flags & UNMAP_FLAG.ALL ? { start: 0n, end: SPACE_END } : span(op.iova, op.size)), label: op.flags & UNMAP_FLAG.VADDR ? 'invalidate vaddr' : 'unmap' }];
    case 'mmap': case 'munmap': case 'mprotect':
      return [{ lane: procLane(op.proc), ...span(op.vaddr, op.size), label: op.op }];
    case 'mremap':
      return [{ lane: procLane(op.proc), ...span(op.vaddr, op.size), label: 'from' }, { lane: procLane(op.proc), ...span(op.newVaddr, op.newSize), label: 'to' }];
    default: return [];
  }
}

function facts(procs: readonly Process[], dmaAvail: bigint): string[] {
  return [`locked_vm ${procs.map((p, i) => `p${i}=${p.lockedVm}`).join(' ')} pages`, `dma_avail ${dmaAvail}`];
}
