// Where the sPAPR generators put things, from the backend's declaration only: slots of the
// arena for host memory (each a whole number of huge pages), the page sizes a window may take,
// and how many processes and containers there are.
import type { BackendInfo } from '../../spec/spapr/backend.ts';

export const MAX_SLOTS = 8;

export interface Layout {
  page: bigint;
  huge: bigint;
  slotSize: bigint;
  slots: number;
  containers: number;
  procs: number;
  v2: boolean;
  caps: ReadonlySet<string>;
  slotBase(slot: number): bigint;
  /** The page shifts TCE_CREATE may take on container `ct` (4 KiB when it declares no DDW). */
  pageShifts(ct: number): number[];
}

export function layoutOf(info: BackendInfo): Layout {
  const { pageSize: page, hugePageSize: huge, arena } = info.host;
  const grain = huge > page ? huge : page;
  const wanted = 8n * grain > 64n * page ? 8n * grain : 64n * page;
  const first = ((arena.start + grain - 1n) / grain) * grain;
  const room = arena.start + arena.size - first;
  const slotSize = room >= wanted ? wanted : (room / grain) * grain;
  const slots = Math.max(1, Math.min(MAX_SLOTS, Number(room / (slotSize > 0n ? slotSize : 1n))));
  const caps = new Set<string>(info.capabilities);
  return {
    page, huge, slotSize, slots, caps,
    containers: info.containers.length,
    procs: caps.has('secondProcess') ? 2 : 1,
    v2: info.profile === 'spapr-v2',
    slotBase: (slot) => first + BigInt(slot % slots) * slotSize,
    pageShifts: (ct) => {
      const pgsizes = info.containers[ct]!.ddw?.pgsizes ?? 0x1000n;
      const out: number[] = [];
      for (let s = 12; s < 64; s++) if (pgsizes & (1n << BigInt(s))) out.push(s);
      return out.length > 0 ? out : [12];
    },
  };
}
