// The TrustZone MPC (hw/misc/tz-mpc.c): one region whose blocks lead to memory or to the
// blocked space depending on the block's LUT bit and the transaction's index, 0 secure and
// 1 non-secure (VIOMMU-MPC-LUT, VIOMMU-ATTR-SEPARATE).
import type { BackendInfo } from '../../../spec/viommu/backend.ts';
import { NOTIFIER_MAP, NOTIFIER_UNMAP, type DmaOutcome, type NotifierEvent, type Result, type Target, type TlbEntry } from '../../../spec/viommu/ops.ts';
import { granule, top } from '../virtio/args.ts';
import { wants, type Notifier, type NotifierRegistry } from '../virtio/notifiers.ts';
import type { MpcBugs } from './bugs.ts';
import { Lut } from './lut.ts';

const INDEXES = [0, 1] as const;

/** tz_mpc_translate: the downstream memory when the bit names the index, else the blocked space. */
const targetOf = (index: number, ns: boolean): Target => (ns === (index === 1) ? 'memory' : 'blocked');

export class Mpc {
  private readonly lut: Lut;
  private readonly block: bigint;

  constructor(info: BackendInfo, private readonly notifiers: NotifierRegistry, private readonly bugs: MpcBugs) {
    this.block = granule(info);
    this.lut = new Lut(Number(top(info) / this.block));
  }

  private entry(addr: bigint, index: number, ns: boolean, perm: 'rw' | 'none'): TlbEntry {
    return { iova: addr, translatedAddr: addr, addrMask: this.block - 1n, perm, target: targetOf(index, ns) };
  }

  /** memory_region_notify_iommu(upstream, index, event): the notifiers of that index covering the block. */
  private deliver(index: number, type: 'map' | 'unmap', addr: bigint, ns: boolean, events: NotifierEvent[]): void {
    const flag = type === 'map' ? NOTIFIER_MAP : NOTIFIER_UNMAP;
    for (const n of this.notifiers.all()) {
      // mutant mpc-wrong-index: every notifier hears every index's events. VIOMMU-EVENT-INDEX
      if (n.index !== index && !this.bugs.has('mpc-wrong-index')) continue;
      if (!wants(n, flag) || addr < n.start || addr > n.end) continue;
      // mutant mpc-map-without-unmap: a notifier that hears MAPs is told only the new target,
      // as if a MAP replaced what it held. VIOMMU-SHADOW-NO-DUP
      if (type === 'unmap' && wants(n, NOTIFIER_MAP) && this.bugs.has('mpc-map-without-unmap')) continue;
      events.push({ notifier: n.id, type, entry: this.entry(addr, index, ns, type === 'map' ? 'rw' : 'none') });
    }
  }

  /** A LUT write: per changed block, an UNMAP of the old target then a MAP of the new one, for each index. */
  gate(iova: bigint, size: bigint, ns: boolean): Result {
    const events: NotifierEvent[] = [];
    for (const b of this.lut.write(Number(iova / this.block), Number(size / this.block), ns)) {
      const addr = BigInt(b) * this.block;
      // tz_mpc_iommu_notify's order: UNMAP for S and NS, then MAP for S and NS.
      for (const i of INDEXES) this.deliver(i, 'unmap', addr, !ns, events);
      for (const i of INDEXES) this.deliver(i, 'map', addr, ns, events);
    }
    return { ok: true, events };
  }

  /** tz_mpc_reset: the LUT cleared without notifying. VIOMMU-MPC-RESET */
  reset(): Result {
    // mutant mpc-reset-keeps-lut: the reset handler clears the interrupt state only.
    if (!this.bugs.has('mpc-reset-keeps-lut')) this.lut.clear();
    return { ok: true, events: [] };
  }

  /** The default replay: every block of the notifier's range, as translate(IOMMU_NONE) gives it. */
  replay(n: Notifier): Result {
    if (!wants(n, NOTIFIER_MAP)) return { ok: true, events: [] };
    const events: NotifierEvent[] = [];
    for (let b = Number(n.start / this.block); b <= Number(n.end / this.block); b++) {
      const addr = BigInt(b) * this.block;
      events.push({ notifier: n.id, type: 'map', entry: this.entry(addr, n.index, this.lut.isNs(b), 'rw') });
    }
    return { ok: true, events };
  }

  translate(iova: bigint, index: number): TlbEntry {
    const addr = iova & ~(this.block - 1n);
    return this.entry(addr, index, this.lut.isNs(Number(addr / this.block)), 'rw');
  }

  /** tz_mpc_attrs_to_index: secure transactions use index 0, non-secure ones index 1. VIOMMU-ATTR-INDEX */
  dma(iova: bigint, secure: boolean): DmaOutcome {
    // mutant mpc-ns-sees-secure: attrs_to_index answers the secure index for every access. VIOMMU-ATTR-INDEX
    const index = secure || this.bugs.has('mpc-ns-sees-secure') ? 0 : 1;
    const { target } = this.translate(iova, index);
    return target === 'memory' ? { ok: true, outcome: 'memory', addr: iova } : { ok: true, outcome: 'blocked' };
  }
}
