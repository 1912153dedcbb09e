// Scalable mode (VT-d 3.x chapter 9): each endpoint's scalable-mode context entry points to a
// PASID directory of its own, whose entry 0 leads to its PASID table. A request without PASID
// uses the context entry's RID_PASID, 0 here, so PASID table entry 0 is the endpoint's binding:
// PGTT first-stage, the domain id, and the domain's first-stage table (first-stage.ts).
//
// Context entries and directories are written once; attach and detach rewrite the PASID entry,
// as Linux does for a device's RID_PASID (intel_pasid_setup_first_level, _tear_down_entry).
import type { InvalidateScope } from '../spec/viommu/ops.ts';
import type { Binding } from './binding.ts';
import {
  contextDevice, contextGlobal, didOf, iotlbGlobal, pageSelective, pasidCache, pasidCacheGlobal, pasidIotlbAll, pasidIotlbPages,
  type Descriptor,
} from './descriptors.ts';
import { CONTEXT_TABLE, PAGE, PASID_DIRECTORIES, PASID_TABLES } from './layout.ts';
import { devfnOf, type Machine } from './machine.ts';

/** The PASID requests without one are translated with (context entry RID_PASID). */
const RID_PASID = 0;
const PRESENT = 1n;
/** PASID entry: AW (bits 4:2) 2, a 48-bit input; PGTT (bits 8:6) 001b, first-stage only. */
const AW_48 = 2n << 2n;
const PGTT_FIRST_STAGE = 1n << 6n;
const PASID_ENTRY_BYTES = 64n;

const at = (base: bigint, endpoint: number) => base + PAGE * BigInt(endpoint);
/** A scalable-mode context entry is 256 bits; the high table holds devfn 128-255 (machine.ts). */
const contextEntry = (endpoint: number) => CONTEXT_TABLE + 32n * BigInt(devfnOf(endpoint) & 0x7f);
const pasidEntry = (endpoint: number) => at(PASID_TABLES, endpoint) + PASID_ENTRY_BYTES * BigInt(RID_PASID % 64);

export class ScalableBinding implements Binding {
  /** Per endpoint, the domains its PASID entry named since its last context invalidation. */
  private named: Set<number>[];
  private bound: (number | null)[];

  constructor(private readonly machine: Machine, private readonly endpoints: number) {
    this.named = Array.from({ length: endpoints }, () => new Set());
    this.bound = Array.from({ length: endpoints }, () => null);
  }

  /** Context entries (PASID enabled, PDTS 0: 128 directory entries) and directories, no PASID entry. */
  async setup(): Promise<void> {
    const q = this.machine.qtest;
    for (let e = 0; e < this.endpoints; e++) {
      await Promise.all([q.memset(at(PASID_DIRECTORIES, e), PAGE), q.memset(at(PASID_TABLES, e), PAGE)]);
      await q.writeq(at(PASID_DIRECTORIES, e) + 8n * BigInt(RID_PASID >> 6), at(PASID_TABLES, e) | PRESENT);
      // Upper half (RID_PASID 0, the reserved words) first, then the present half.
      await Promise.all([q.writeq(contextEntry(e) + 8n, BigInt(RID_PASID)), q.writeq(contextEntry(e) + 16n, 0n), q.writeq(contextEntry(e) + 24n, 0n)]);
      await q.writeq(contextEntry(e), at(PASID_DIRECTORIES, e) | PRESENT);
    }
  }

  async attach(endpoint: number, domain: number, root: bigint): Promise<void> {
    const q = this.machine.qtest;
    const entry = pasidEntry(endpoint);
    // Words 1-7 first (DID; FSPTPTR with FSPM 0, 4-level, and SRE clear), word 0 with P last.
    const words = [didOf(domain), root, 0n, 0n, 0n, 0n, 0n];
    await Promise.all(words.map((w, i) => q.writeq(entry + 8n * BigInt(i + 1), w)));
    await q.writeq(entry, PRESENT | AW_48 | PGTT_FIRST_STAGE);
    this.bound[endpoint] = domain;
    this.named[endpoint]!.add(domain);
  }

  async detach(endpoint: number): Promise<void> {
    const q = this.machine.qtest;
    await q.writeq(pasidEntry(endpoint), 0n);
    await q.memset(pasidEntry(endpoint), PASID_ENTRY_BYTES);
    this.bound[endpoint] = null;
  }

  invalidate(scope: InvalidateScope): Promise<void> {
    return this.machine.invalidate(this.descriptors(scope));
  }

  /** As Linux flushes a first-stage domain: P_IOTLB by PASID, PC_INV after a PASID entry changes. */
  private descriptors(scope: InvalidateScope): Descriptor[] {
    switch (scope.scope) {
      case 'range': {
        const { domain } = scope;
        return pageSelective(domain, scope.iova, scope.size, this.machine.mamv,
          (addr, am) => pasidIotlbPages(domain, RID_PASID, addr, am), pasidIotlbAll(domain, RID_PASID));
      }
      case 'domain': return [pasidIotlbAll(scope.domain, RID_PASID)];
      case 'context': {
        // The PASID cache is tagged by domain id: every id the entry held, the old and the new.
        const e = scope.endpoint;
        const out = [...this.named[e]!].map((d) => pasidCache(d, RID_PASID));
        this.forget(e);
        return [...out, contextDevice(devfnOf(e))];
      }
      case 'global':
        for (let e = 0; e < this.endpoints; e++) this.forget(e);
        return [contextGlobal(), pasidCacheGlobal(), iotlbGlobal()];
    }
  }

  private forget(endpoint: number): void {
    const now = this.bound[endpoint];
    this.named[endpoint] = new Set(now === null || now === undefined ? [] : [now]);
  }

  async clear(): Promise<void> {
    for (let e = 0; e < this.endpoints; e++) await this.detach(e);
    await this.invalidate({ scope: 'global' });
  }
}
