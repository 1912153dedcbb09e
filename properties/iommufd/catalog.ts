// The properties of the iommufd family: each a mix of symbolic operations aimed at a group of
// rules (spec/iommufd/rules.ts).
//
// All properties share one oracle, the model, checked after every step; a property is only a
// choice of where to aim: its weights, and whether device 0 is attached before the first map.
// Every case is derived from the backend's declaration (devices' apertures, reserved regions
// and page sizes, the host's arena), so an unusual but valid backend gets valid cases.
import type { Property } from '../../spec/family.ts';
import type { BackendInfo, Capability } from '../../spec/iommufd/backend.ts';
import type { Op } from '../../spec/iommufd/ops.ts';
import type { RuleId } from '../../spec/iommufd/rules.ts';
import { IommufdModel } from '../../models/iommufd/system.ts';
import { expand, type Oracle } from './expand.ts';
import { symSequence, type Prelude, type Weights } from './symbolic.ts';

export interface IommufdPropertySpec {
  id: string;
  title: string;
  rules: RuleId[];
  requires: Capability[];
  weights: Weights;
  prelude: Prelude;
}

/** Memory, maps and unmaps in the busy window: every property starts from these. */
const BASE: Weights = { mmap: 2, map: 6, unmap: 2 };

export const SPECS: readonly IommufdPropertySpec[] = [
  {
    id: 'map-validation',
    title: 'IOMMU_IOAS_MAP arguments: exact errno with several faults at once, FIXED maps at reserved and aperture edges, nothing left by a failure',
    rules: ['IOMMUFD-MAP-FLAGS', 'IOMMUFD-MAP-PERM', 'IOMMUFD-MAP-LENGTH-ZERO', 'IOMMUFD-MAP-OVERFLOW', 'IOMMUFD-MAP-ALIGN', 'IOMMUFD-MAP-RESERVED',
      'IOMMUFD-MAP-OVERLAP', 'IOMMUFD-MAP-ORDER', 'IOMMUFD-MAP-UNBACKED', 'IOMMUFD-MAP-ATOMIC', 'IOMMUFD-MAP-EXACT', 'IOMMUFD-OBJ-ID', 'IOMMUFD-DMA-REACH'],
    requires: [],
    weights: { ...BASE, map: 12, badMap: 5, munmap: 1, alloc: 1, attach: 1, dmaWrite: 1 },
    prelude: { attach: true },
  },
  {
    id: 'unmap-areas',
    title: 'IOMMU_IOAS_UNMAP over adjacent areas: cut at either end, spanning several with a failing one, empty, unmap-all; no stale page',
    rules: ['IOMMUFD-UNMAP-ALL', 'IOMMUFD-UNMAP-ARGS', 'IOMMUFD-UNMAP-EMPTY', 'IOMMUFD-UNMAP-WHOLE', 'IOMMUFD-UNMAP-PARTIAL',
      'IOMMUFD-UNMAP-COUNT', 'IOMMUFD-NO-STALE'],
    requires: [],
    weights: { ...BASE, map: 10, unmap: 10, unmapAll: 1, dmaWrite: 1 },
    prelude: { attach: true },
  },
  {
    id: 'copy-sharing',
    title: 'IOMMU_IOAS_COPY between IOASes: sources over several areas, then either side unmapped; pages shared, pinned and charged once',
    rules: ['IOMMUFD-COPY-FLAGS', 'IOMMUFD-COPY-SRC', 'IOMMUFD-COPY-DST', 'IOMMUFD-COPY-SHARE', 'IOMMUFD-COPY-WRITE', 'IOMMUFD-ACCT-EXACT'],
    requires: [],
    weights: { ...BASE, map: 8, copy: 8, alloc: 3, unmap: 4, attach: 2, bind: 1, dmaWrite: 2, destroy: 1 },
    prelude: { attach: true },
  },
  {
    id: 'iova-allocation',
    title: 'Automatic iovas: allowed ranges exactly one length wide, holes between areas, near reserved ranges and the top of the space',
    rules: ['IOMMUFD-MAP-ALLOC', 'IOMMUFD-RANGES-REPORT', 'IOMMUFD-ALLOW-ARGS', 'IOMMUFD-ALLOW-RESERVED', 'IOMMUFD-ALLOW-REPLACE'],
    requires: [],
    weights: { ...BASE, autoMap: 8, allow: 6, ranges: 3, attach: 1, detach: 1, copy: 1 },
    prelude: { attach: true },
  },
  {
    id: 'attach-domains',
    title: 'Domains attached after mapping, replaced between IOASes and detached: the IOAS replayed, reservations and conflicts, DMA follows',
    rules: ['IOMMUFD-BIND', 'IOMMUFD-ATTACH-RESERVE', 'IOMMUFD-ATTACH-CONFLICT', 'IOMMUFD-ATTACH-ALIGN', 'IOMMUFD-ATTACH-FILL',
      'IOMMUFD-ATTACH-REPLACE', 'IOMMUFD-ATTACH-GROUP', 'IOMMUFD-DETACH', 'IOMMUFD-MAP-LAZY', 'IOMMUFD-DMA-REACH'],
    requires: [],
    weights: { ...BASE, munmap: 1, alloc: 2, bind: 4, attach: 6, detach: 3, allow: 1, ranges: 1, dmaWrite: 1 },
    prelude: { attach: false },
  },
  {
    id: 'accounting',
    title: 'locked_vm and pinned_vm: RLIMIT_MEMLOCK one page from exhaustion, CAP_IPC_LOCK toggled between maps, two maps of one vaddr, release on unmap, destroy and close',
    rules: ['IOMMUFD-ACCT-USER', 'IOMMUFD-ACCT-CAP', 'IOMMUFD-ACCT-PINNED', 'IOMMUFD-ACCT-EXACT', 'IOMMUFD-MAP-RLIMIT', 'IOMMUFD-ATTACH-FILL'],
    requires: ['rlimit', 'capIpcLock'],
    weights: { ...BASE, map: 8, rlimit: 4, cap: 2, attach: 2, detach: 1, copy: 2, alloc: 1, destroy: 1, close: 1 },
    prelude: { attach: true, noCap: true },
  },
  {
    id: 'rlimit-mode',
    title: 'IOMMU_OPTION_RLIMIT_MODE set before and after objects exist: charges to the user or to the mm',
    rules: ['IOMMUFD-OPTION-RLIMIT', 'IOMMUFD-ACCT-MM', 'IOMMUFD-ACCT-PINNED'],
    requires: ['rlimitMode'],
    weights: { ...BASE, mode: 4, getMode: 2, close: 2, destroy: 1, alloc: 3, bind: 3, attach: 4, rlimit: 2, cap: 1 },
    prelude: { attach: false, bare: true, noCap: true },
  },
  {
    id: 'objects',
    title: 'IOAS and device lifetimes: destroy while attached, dead handles, close and reopen in the middle of a case',
    rules: ['IOMMUFD-OBJ-ID', 'IOMMUFD-OBJ-ALLOC', 'IOMMUFD-OBJ-DESTROY-BUSY', 'IOMMUFD-OBJ-DESTROY', 'IOMMUFD-OBJ-CLOSE', 'IOMMUFD-BIND'],
    requires: [],
    weights: { ...BASE, alloc: 4, realloc: 1, destroy: 4, close: 2, bind: 2, attach: 3, detach: 2, copy: 1, ranges: 1 },
    prelude: { attach: true },
  },
  {
    id: 'host-memory',
    title: 'munmap and re-mmap of memory behind areas, before and after a domain pins it: pinned frames stay, lazy areas follow the user range',
    rules: ['IOMMUFD-HOST-PIN', 'IOMMUFD-HOST-ENV', 'IOMMUFD-MAP-LAZY', 'IOMMUFD-ATTACH-FILL', 'IOMMUFD-DETACH'],
    requires: [],
    weights: { ...BASE, mmap: 5, munmap: 4, attach: 3, detach: 2, dmaWrite: 2 },
    prelude: { attach: false },
  },
  {
    id: 'hw-info',
    title: 'IOMMU_GET_HW_INFO of bound and unbound devices',
    rules: ['IOMMUFD-HWINFO', 'IOMMUFD-BIND'],
    requires: ['hwInfo'],
    weights: { mmap: 1, map: 1, hwInfo: 6, bind: 3, attach: 1, close: 1 },
    prelude: { attach: false },
  },
];

/** The catalog, with the oracle the generators aim with (the family passes its model). */
export function properties(oracle: (info: BackendInfo) => Oracle): Property<Op, BackendInfo>[] {
  return SPECS.map(({ weights, prelude, ...p }) => ({
    ...p,
    cases: (info: BackendInfo, maxOps: number) => symSequence(weights, maxOps, prelude).map((syms) => expand(syms, info, oracle(info))),
  }));
}


/** The catalog the family runs: aimed with the reference model's expected answers. */
export const PROPERTIES: readonly Property<Op, BackendInfo>[] = properties((info) => new IommufdModel(info));
