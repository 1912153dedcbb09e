// The properties: each is a mix of symbolic operations aimed at one family of rules.
//
// All properties share one oracle (the model, checked after every step), so a property is only
// a choice of where to aim: its weights. `rules` are the rules it is built to exercise; the
// test suite checks that each one is exercised by the property's generator and that every
// rule of the spec has a property.
import type { Capability, Profile } from '../../spec/type1/backend.ts';
import type { RuleId } from '../../spec/type1/rules.ts';
import type { Weights } from './symbolic.ts';

export interface Property {
  id: string;
  title: string;
  rules: RuleId[];
  /** Capabilities without which the property cannot aim at its rules: it is skipped. */
  requires: Capability[];
  /** Profiles it applies to; all when absent. */
  profiles?: Profile[];
  weights: Weights;
}

/** Memory to map, mapped memory and the basic observations: every property starts from these. */
const BASE: Weights = { mmap: 4, map: 6, unmap: 2, cpuWrite: 1 };

export const PROPERTIES: readonly Property[] = [
  {
    id: 'map-validation',
    title: 'MAP_DMA arguments: exact errno, checked in kernel order, and no partial state on failure',
    rules: ['T1-MAP-FLAGS', 'T1-MAP-PERM', 'T1-MAP-SIZE-ZERO', 'T1-MAP-ALIGN', 'T1-MAP-WRAP', 'T1-MAP-OVERLAP',
      'T1-MAP-IOVA-RANGE', 'T1-MAP-CHECK-ORDER', 'T1-MAP-UNBACKED', 'T1-COMPAT-MAP-PFNMAP', 'T1-MAP-READONLY', 'T1-MAP-ATOMIC',
      'T1-MAP-EXACT'],
    requires: [],
    weights: { ...BASE, map: 14, mapAcross: 3, mprotect: 1, munmap: 1, dmaWrite: 2 },
  },
  {
    id: 'unmap-semantics',
    title: 'UNMAP_DMA: bisection, empty ranges, v1 legacy rules (or the compat layer\'s cuts), FLAG_ALL, the top of the address space, no stale page',
    rules: ['T1-UNMAP-FLAGS', 'T1-UNMAP-ARGS', 'T1-UNMAP-V2-BISECT', 'T1-COMPAT-UNMAP-V2-BISECT', 'T1-UNMAP-V2-EXACT',
      'T1-UNMAP-EMPTY', 'T1-UNMAP-V1-START-INSIDE', 'T1-UNMAP-V1-WHOLE', 'T1-COMPAT-UNMAP-V1-CUT', 'T1-UNMAP-ALL',
      'T1-UNMAP-TOP', 'T1-NO-STALE'],
    requires: [],
    weights: { ...BASE, map: 8, mapAcross: 2, unmap: 10, unmapAll: 1 },
  },
  {
    id: 'accounting',
    title: 'locked_vm: charged per mapping to the mapping process, MMIO free, given back exactly',
    rules: ['T1-ACCT-CHARGE', 'T1-ACCT-PER-MAPPING', 'T1-ACCT-MMIO', 'T1-ACCT-UNCHARGE'],
    requires: [],
    weights: { ...BASE, map: 10, mapAcross: 3, unmap: 6, close: 1 },
  },
  {
    id: 'limits',
    title: 'RLIMIT_MEMLOCK, CAP_IPC_LOCK and dma_entry_limit near exhaustion',
    rules: ['T1-MAP-RLIMIT', 'T1-MAP-ENTRY-LIMIT', 'T1-INFO-DMA-AVAIL'],
    requires: ['rlimit'],
    weights: { ...BASE, rlimit: 4, cap: 2, mapMany: 2, mapAcross: 4, getInfo: 2, unmap: 3 },
  },
  {
    id: 'host-memory',
    title: 'munmap, mremap, mprotect and re-mmap of mapped memory: the device keeps the pinned frames',
    rules: ['T1-HOST-PIN-PERSISTS', 'T1-HOST-NO-REUSE', 'T1-HOST-ENV'],
    requires: [],
    weights: { ...BASE, mapAcross: 3, munmap: 4, remmap: 4, mremap: 3, mprotect: 2, cpuWrite: 4, cpuRead: 2 },
  },
  {
    id: 'vaddr',
    title: 'Live update: VADDR invalidate and update leave the device view unchanged',
    rules: ['T1-VADDR-INVALIDATE', 'T1-VADDR-INVALIDATE-ATOMIC', 'T1-VADDR-UPDATE', 'T1-VADDR-UPDATE-ERRNO'],
    requires: ['vaddr'],
    weights: { ...BASE, mapAcross: 1, invalidate: 6, update: 6, munmap: 1 },
  },
  {
    id: 'info',
    title: 'GET_INFO reports the geometry the container enforces and the entries left',
    rules: ['T1-INFO-GEOMETRY', 'T1-INFO-DMA-AVAIL'],
    requires: [],
    weights: { ...BASE, getInfo: 4, mapMany: 1 },
  },
  {
    id: 'lifecycle',
    title: 'Everything at once, with container close and reopen in the middle',
    rules: ['T1-CLOSE-RELEASE'],
    requires: [],
    weights: {
      ...BASE, close: 2, munmap: 2, remmap: 1, mremap: 1, mprotect: 1, cpuRead: 1, rlimit: 1, cap: 1,
      mapMany: 1, mapAcross: 2, unmapAll: 1, invalidate: 1, update: 1, dmaWrite: 1, getInfo: 1,
    },
  },
  {
    id: 'dirty-tracking',
    title: 'VFIO_IOMMU_DIRTY_PAGES and GET_INFO\'s MIGRATION capability, between maps, unmaps and container reopens',
    rules: ['T1-DIRTY-V1', 'T1-DIRTY-FLAGS', 'T1-DIRTY-START-STOP', 'T1-DIRTY-GET-BITMAP', 'T1-COMPAT-DIRTY-ENOTTY', 'T1-INFO-MIGRATION'],
    requires: ['dirtyPages', 'migrationInfo'],
    weights: { ...BASE, mapAcross: 2, unmap: 3, dirtyPages: 5, migrationInfo: 2, dmaWrite: 1, close: 1 },
  },
];

export const PROPERTY_BY_ID: ReadonlyMap<string, Property> = new Map(PROPERTIES.map((p) => [p.id, p]));
