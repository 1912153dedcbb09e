// The virtio-iommu device's state and requests (hw/virtio/virtio-iommu.c): endpoints bound to
// domains, each domain's mappings, the notifiers of every endpoint's region, and the fault
// events its DMA reports. There is no cache: every request takes effect, and notifies, at once.
import type { BackendInfo } from '../../../spec/viommu/backend.ts';
import type { DmaOutcome, Errno, FaultRecord, NotifierEvent, Op, Result, TlbEntry } from '../../../spec/viommu/ops.ts';
import { permAllows } from '../../../spec/viommu/ops.ts';
import { granule } from './args.ts';
import type { VirtioBugs } from './bugs.ts';
import { Mappings, type Mapping } from './mappings.ts';
import { mappingEvents } from './notify.ts';
import type { Notifier, NotifierRegistry } from './notifiers.ts';

interface Domain {
  endpoints: Set<number>;
  mappings: Mappings;
}

const fail = (errno: Errno): Result => ({ ok: false, errno });
const notified = (events: NotifierEvent[]): Result => ({ ok: true, events });
const FAULT: DmaOutcome = { ok: true, outcome: 'fault' };

export class VirtioIommu {
  /** Each endpoint's domain (virtio_iommu_endpoint.domain). */
  private readonly bound: (number | undefined)[];
  /** The live domains: one exists while an endpoint is attached to it. */
  private readonly domains = new Map<number, Domain>();
  /** The endpoints the device has met: those attached since the reset (virtio_iommu_get_endpoint). */
  private readonly known = new Set<number>();
  private readonly granule: bigint;
  /** The fault events not yet read (virtio_iommu_report_fault); the event queue is unbounded here. */
  private faults: FaultRecord[] = [];

  constructor(info: BackendInfo, private readonly notifiers: NotifierRegistry, private readonly bugs: VirtioBugs) {
    this.bound = new Array<number | undefined>(info.endpoints).fill(undefined);
    this.granule = granule(info);
  }

  private notifiersOf(endpoints: ReadonlySet<number>): Notifier[] {
    return [...this.notifiers.all()].filter((n) => endpoints.has(n.endpoint));
  }

  private events(type: 'map' | 'unmap', mappings: readonly Mapping[], to: readonly Notifier[]): NotifierEvent[] {
    return mappings.flatMap((m) => to.flatMap((n) => mappingEvents(type, m, n, this.granule, this.bugs)));
  }

  /** virtio_iommu_detach_endpoint_from_domain: UNMAPs to its notifiers, the last one out destroys the domain. */
  private leave(endpoint: number, events: NotifierEvent[]): void {
    const id = this.bound[endpoint]!;
    const domain = this.domains.get(id)!;
    events.push(...this.events('unmap', domain.mappings.all(), this.notifiersOf(new Set([endpoint]))));
    domain.endpoints.delete(endpoint);
    this.bound[endpoint] = undefined;
    if (domain.endpoints.size === 0) this.domains.delete(id); // VIOMMU-VIRTIO-ATTACH
  }

  /** virtio_iommu_attach: detaches first, even from the domain named again (the last one out destroys it). */
  attach(endpoint: number, id: number): Result {
    const events: NotifierEvent[] = [];
    this.known.add(endpoint);
    if (this.bound[endpoint] !== undefined) this.leave(endpoint, events);
    let domain = this.domains.get(id);
    if (domain === undefined) {
      domain = { endpoints: new Set(), mappings: new Mappings() };
      this.domains.set(id, domain);
    }
    domain.endpoints.add(endpoint);
    this.bound[endpoint] = id;
    // VIOMMU-VIRTIO-ATTACH: the domain's mappings are replayed to the newcomer's notifiers.
    if (!this.bugs.has('virtio-attach-no-replay')) { // mutant virtio-attach-no-replay
      events.push(...this.events('map', domain.mappings.all(), this.notifiersOf(new Set([endpoint]))));
    }
    return notified(events);
  }

  /** virtio_iommu_detach: an endpoint never attached since the reset is unknown to the device. */
  detach(endpoint: number): Result {
    if (this.bound[endpoint] === undefined) return fail(this.known.has(endpoint) ? 'EINVAL' : 'ENOENT');
    const events: NotifierEvent[] = [];
    this.leave(endpoint, events);
    return notified(events);
  }

  /** VIOMMU-VIRTIO-MAP */
  map(op: Extract<Op, { op: 'map' }>): Result {
    const domain = this.domains.get(op.domain);
    if (domain === undefined) return fail('ENOENT');
    const high = op.iova + op.size - 1n;
    if (domain.mappings.overlapping(op.iova, high).length > 0) return fail('EINVAL');
    const m: Mapping = { low: op.iova, high, pa: op.pa, perm: op.perm };
    domain.mappings.insert(m);
    return notified(this.events('map', [m], this.notifiersOf(domain.endpoints)));
  }

  /** VIOMMU-VIRTIO-UNMAP */
  unmap(op: Extract<Op, { op: 'unmap' }>): Result {
    const domain = this.domains.get(op.domain);
    if (domain === undefined) return fail('ENOENT');
    const low = op.iova;
    const high = op.iova + op.size - 1n;
    const met = domain.mappings.overlapping(low, high);
    const inside = met.filter((m) => m.low >= low && m.high <= high);
    // A request that only partly covers a mapping fails whole: a failed operation changes
    // nothing (the rule's variant; the suite never mixes the two).
    if (inside.length < met.length) return fail('ERANGE');
    for (const m of inside) domain.mappings.remove(m);
    return notified(this.events('unmap', inside, this.notifiersOf(domain.endpoints)));
  }

  /** VIOMMU-REPLAY-ALL: MAPs of the present mappings in the notifier's range, and nothing else. */
  replay(n: Notifier): Result {
    const id = this.bound[n.endpoint];
    if (id === undefined) return notified([]);
    const domain = this.domains.get(id)!;
    return notified(this.events('map', domain.mappings.overlapping(n.start, n.end), [n]));
  }

  private lookup(endpoint: number, iova: bigint): Mapping | undefined {
    const id = this.bound[endpoint];
    return id === undefined ? undefined : this.domains.get(id)!.mappings.containing(iova);
  }

  /** VIOMMU-DMA-TRANSLATE, VIOMMU-DMA-UNATTACHED (unattached: fault). */
  dma(endpoint: number, iova: bigint, access: 'read' | 'write'): DmaOutcome {
    // mutant virtio-lookup-next-byte: [iova, iova + 1] is looked up, as QEMU's virtio_iommu_translate does.
    const id = this.bound[endpoint];
    const m = this.bugs.has('virtio-lookup-next-byte') && id !== undefined
      ? this.domains.get(id)!.mappings.overlapping(iova, iova + 1n)[0]
      : this.lookup(endpoint, iova);
    if (m === undefined || !permAllows(m.perm, access)) {
      this.reportFault(endpoint, iova, access);
      return FAULT;
    }
    return { ok: true, outcome: 'memory', addr: BigInt.asUintN(64, m.pa + (iova - m.low)) };
  }

  /** virtio_iommu_report_fault: a fault event with the exact address (VIOMMU-DMA-FAULT-RECORD). */
  private reportFault(endpoint: number, iova: bigint, access: 'read' | 'write'): void {
    // mutant virtio-fault-wrong-endpoint: the event names the endpoint's domain.
    const named = this.bugs.has('virtio-fault-wrong-endpoint') ? this.bound[endpoint] ?? endpoint : endpoint;
    this.faults.push({ endpoint: named, iova, access });
  }

  /** The fault events since the last read, oldest first; reading consumes them. */
  drainFaults(): FaultRecord[] {
    const faults = this.faults;
    this.faults = [];
    return faults;
  }

  /** virtio_iommu_translate: a granule-sized entry with the mapping's real permission. VIOMMU-XLATE-TABLES */
  translate(endpoint: number, iova: bigint): TlbEntry {
    const page = iova & ~(this.granule - 1n);
    const addrMask = this.granule - 1n;
    const m = this.lookup(endpoint, iova);
    if (m === undefined) return { iova: page, translatedAddr: 0n, addrMask, perm: 'none', target: 'memory' };
    return { iova: page, translatedAddr: m.pa + (page - m.low), addrMask, perm: m.perm, target: 'memory' };
  }
}
