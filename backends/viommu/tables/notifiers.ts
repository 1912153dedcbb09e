// The IOMMU notifiers registered on the endpoints' regions. A notifier with the MAP flag is
// shadowed: its iova tree records what it was told (shadow.ts keeps it up to date).
import { NOTIFIER_MAP, NOTIFIER_UNMAP } from '../../../spec/viommu/ops.ts';
import { IovaTree } from './iova-tree.ts';

export interface Notifier {
  id: number;
  endpoint: number;
  flags: number;
  /** [start, end], end inclusive as in QEMU. */
  start: bigint;
  end: bigint;
  index: number;
  tree: IovaTree;
}

export const wantsMap = (n: Notifier): boolean => (n.flags & NOTIFIER_MAP) !== 0;
export const wantsUnmap = (n: Notifier): boolean => (n.flags & NOTIFIER_UNMAP) !== 0;

export class Notifiers {
  /** In registration order, the order events are delivered in. */
  private readonly byId = new Map<number, Notifier>();

  has(id: number): boolean {
    return this.byId.has(id);
  }

  get(id: number): Notifier | undefined {
    return this.byId.get(id);
  }

  add(n: Omit<Notifier, 'tree'>): Notifier {
    const added = { ...n, tree: new IovaTree() };
    this.byId.set(n.id, added);
    return added;
  }

  remove(id: number): void {
    this.byId.delete(id);
  }

  all(): Notifier[] {
    return [...this.byId.values()];
  }

  ofEndpoint(endpoint: number): Notifier[] {
    return this.all().filter((n) => n.endpoint === endpoint);
  }
}
