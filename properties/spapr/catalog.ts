// The properties of the sPAPR TCE family: each a mix of symbolic operations aimed at a group of
// rules (spec/spapr/rules.ts).
//
// All properties share one oracle, the model, checked after every step; a property is only a
// choice of where to aim: its weights, its prelude and the profiles it binds. Every case is
// derived from the backend's declaration (containers' windows and page sizes, the host's arena
// and huge page), so an unusual but valid backend gets valid cases.
import type { Property } from '../../spec/family.ts';
import type { BackendInfo, Capability, Profile } from '../../spec/spapr/backend.ts';
import type { Op } from '../../spec/spapr/ops.ts';
import type { RuleId } from '../../spec/spapr/rules.ts';
import { expand, type Prelude } from './expand.ts';
import { symSequence, type Weights } from './symbolic.ts';

export interface SpaprPropertySpec {
  id: string;
  title: string;
  rules: RuleId[];
  requires: Capability[];
  profiles?: Profile[];
  weights: Weights;
  prelude: Prelude;
}

/** Memory and TCEs: every property starts from these. */
const BASE: Weights = { mmap: 1, map: 4, unmap: 2 };

export const SPECS: readonly SpaprPropertySpec[] = [
  {
    id: 'registration',
    title: 'REGISTER and UNREGISTER_MEMORY: exact, shared between containers, overlapping, past a VMA, read-only, unaligned; unregister while mapped',
    rules: ['SPAPR-REG-CHECKS', 'SPAPR-REG-FAULT', 'SPAPR-REG-BUSY', 'SPAPR-REG-SHARED', 'SPAPR-REG-OVERLAP', 'SPAPR-REG-ENABLES',
      'SPAPR-UNREG-CHECKS', 'SPAPR-UNREG-ENOENT', 'SPAPR-UNREG-RELEASE', 'SPAPR-UNREG-MAPPED', 'SPAPR-V2-NO-ENABLE'],
    requires: [],
    profiles: ['spapr-v2'],
    weights: { ...BASE, mmap: 3, register: 8, unregister: 6, enable: 1, close: 1 },
    prelude: { ready: false },
  },
  {
    id: 'windows',
    title: 'TCE_CREATE and TCE_REMOVE at the slot limit: removed, re-created, the default window pending, cancelled and created lazily; table charges',
    rules: ['SPAPR-INFO', 'SPAPR-DEFAULT-WINDOW', 'SPAPR-CREATE-CHECKS', 'SPAPR-CREATE-START', 'SPAPR-CREATE-PSERIES', 'SPAPR-WINDOW-CHARGE', 'SPAPR-REMOVE'],
    requires: [],
    profiles: ['spapr-v2'],
    weights: { ...BASE, create: 8, remove: 6, getInfo: 2, close: 1 },
    prelude: { ready: true },
  },
  {
    id: 'map-unmap',
    title: 'MAP and UNMAP on TCE windows: overwriting maps, maps across region ends and past window ends, misaligned, page-granular clears',
    rules: ['SPAPR-MAP-ENABLED', 'SPAPR-MAP-FLAGS', 'SPAPR-MAP-WINDOW', 'SPAPR-MAP-ALIGN', 'SPAPR-MAP-WINDOW-END', 'SPAPR-MAP-PREREG',
      'SPAPR-MAP-PAGE-SIZE', 'SPAPR-MAP-OVERWRITE', 'SPAPR-MAP-ATOMIC', 'SPAPR-UNMAP-CHECKS', 'SPAPR-UNMAP-CLEAR', 'SPAPR-DMA-REACH', 'SPAPR-REG-PAGESHIFT'],
    requires: ['dma'],
    weights: { ...BASE, map: 12, unmap: 6, create: 2, register: 2, dmaWrite: 2 },
    prelude: { ready: true },
  },
  {
    id: 'host-memory',
    title: 'munmap, mremap and re-mmap of registered or mapped memory: the device keeps the pages pinned at REGISTER or MAP',
    rules: ['SPAPR-REG-SNAPSHOT', 'SPAPR-HOST-ENV', 'SPAPR-DMA-REACH', 'SPAPR-MAP-V1-PIN'],
    requires: ['dma'],
    weights: { ...BASE, mmap: 4, munmap: 3, mremap: 3, cpuWrite: 3, cpuRead: 2, register: 3, dmaWrite: 2 },
    prelude: { ready: true },
  },
  {
    id: 'accounting',
    title: 'locked_vm: RLIMIT_MEMLOCK one page from exhaustion at REGISTER, TCE_CREATE, the default window and ENABLE; CAP_IPC_LOCK toggled; release',
    rules: ['SPAPR-ACCT-EXACT', 'SPAPR-REG-CHARGE', 'SPAPR-WINDOW-CHARGE', 'SPAPR-V1-ENABLE', 'SPAPR-DEFAULT-WINDOW'],
    requires: ['rlimit', 'capIpcLock'],
    weights: { ...BASE, rlimit: 6, cap: 2, register: 4, unregister: 2, create: 3, remove: 2, enable: 2, disable: 1, close: 1 },
    prelude: { ready: false, noCap: true },
  },
  {
    id: 'v1',
    title: 'v1 containers: ENABLE and DISABLE around maps, pins at MAP, the v2 ioctls refused',
    rules: ['SPAPR-V1-ENABLE', 'SPAPR-V1-DISABLE', 'SPAPR-V1-NO-V2-OPS', 'SPAPR-MAP-V1-PIN', 'SPAPR-MAP-ENABLED'],
    requires: [],
    profiles: ['spapr-v1'],
    weights: { ...BASE, mmap: 3, enable: 4, disable: 3, register: 1, unregister: 1, create: 1, remove: 1, munmap: 1, close: 1 },
    prelude: { ready: false },
  },
  {
    id: 'release',
    title: 'Container release with TCEs, windows and registrations live, shared with another container; the container starts afresh',
    rules: ['SPAPR-CLOSE-RELEASE', 'SPAPR-UNREG-MAPPED', 'SPAPR-REG-SHARED', 'SPAPR-ACCT-EXACT'],
    requires: [],
    weights: { ...BASE, map: 6, register: 4, unregister: 2, create: 2, enable: 2, close: 4 },
    prelude: { ready: true },
  },
  {
    id: 'mm-binding',
    title: 'A second process holding the container fds: the first REGISTER, ENABLE, TCE_CREATE or TCE_REMOVE binds the mm',
    rules: ['SPAPR-MM-BIND'],
    requires: ['secondProcess'],
    weights: { ...BASE, register: 4, enable: 3, create: 2, remove: 2, getInfo: 2, close: 2 },
    prelude: { ready: false },
  },
];

/** The catalog the family runs. */
export const PROPERTIES: readonly Property<Op, BackendInfo>[] = SPECS.map(({ weights, prelude, ...p }) => ({
  ...p,
  cases: (info: BackendInfo, maxOps: number) => symSequence(weights, maxOps).map((syms) => expand(syms, info, prelude)),
}));
