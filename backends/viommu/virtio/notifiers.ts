// The IOMMU notifiers registered on the regions of a simulated IOMMU, in registration order
// (the order events are delivered in). The MPC simulator shares it.
import type { BackendInfo } from '../../../spec/viommu/backend.ts';
import { NOTIFIER_DEVIOTLB, NOTIFIER_MAP, type Errno, type Op } from '../../../spec/viommu/ops.ts';

export interface Notifier {
  id: number;
  endpoint: number;
  flags: number;
  /** [start, end], end inclusive, as IOMMUNotifier. */
  start: bigint;
  end: bigint;
  index: number;
}

export class NotifierRegistry {
  private readonly byId = new Map<number, Notifier>();

  constructor(private readonly info: BackendInfo) {}

  /** After argsValid: an id in use, then the vIOMMU's veto (notify_flag_changed). VIOMMU-REG-ARGS */
  register(op: Extract<Op, { op: 'register' }>): Errno | undefined {
    if (this.byId.has(op.notifier)) return 'EEXIST';
    // VIOMMU-REG-VETO-MAP, VIOMMU-REG-VETO-DEVIOTLB: refused, nothing registered.
    if ((op.flags & NOTIFIER_MAP) !== 0 && !this.info.mapNotifiers) return 'EINVAL';
    if ((op.flags & NOTIFIER_DEVIOTLB) !== 0 && !this.info.deviceIotlb) return 'EINVAL';
    const { notifier: id, endpoint, flags, start, end, index } = op;
    this.byId.set(id, { id, endpoint, flags, start, end, index });
    return undefined;
  }

  unregister(id: number): Errno | undefined {
    return this.byId.delete(id) ? undefined : 'ENOENT';
  }

  get(id: number): Notifier | undefined {
    return this.byId.get(id);
  }

  /** Every registered notifier, in registration order. */
  all(): Iterable<Notifier> {
    return this.byId.values();
  }
}

/** Whether `n` receives events of `type` at all (VIOMMU-EVENT-FLAGS). */
export const wants = (n: Notifier, flag: number): boolean => (n.flags & flag) !== 0;
