// struct iommufd_ctx: what one open /dev/iommu holds, and the VFIO device cdevs bound to it.
import type { Device } from '../../../spec/iommufd/backend.ts';
import { MAX_IOAS, type IoasHandle } from '../../../spec/iommufd/ops.ts';
import type { Domain } from './domain.ts';
import type { IommufdHost } from './host.ts';
import { IoPagetable } from './io-pagetable.ts';
import { ObjectTable, type DeviceObject, type IGroup, type IoasObject } from './objects.ts';
import type { Policy } from './policy.ts';

export class Context {
  readonly objects = new ObjectTable();
  /** ictx->account_mode: USER for /dev/iommu (main.c: iommufd_fops_open), MM after RLIMIT_MODE 1. */
  accountMode: 'user' | 'mm' = 'user';
  /** ictx->groups, by iommu_group. */
  readonly groups = new Map<number, IGroup>();
  /** The kernel id behind each of the suite's IOAS handles; 0 (never allocated) for a dead one. */
  private readonly handles: number[] = new Array<number>(MAX_IOAS).fill(0);
  /** vdev->iommufd_device of each declared device: null while its cdev is not bound. */
  readonly bound: (DeviceObject | null)[];
  /** mutant detach-stale: the domain a detached device still translates through. */
  readonly stale = new Map<number, Domain>();

  constructor(readonly host: IommufdHost, readonly policy: Policy, readonly decls: readonly Device[]) {
    this.bound = decls.map(() => null);
  }

  idOf(handle: IoasHandle): number {
    return this.handles[handle] ?? 0;
  }

  /** iommufd_get_ioas. */
  ioas(handle: IoasHandle): IoasObject | 'ENOENT' {
    return this.objects.get(this.idOf(handle), 'ioas') ?? 'ENOENT';
  }

  /** IOMMU_IOAS_ALLOC: a fresh IOAS, named by `handle` from now on. */
  allocIoas(handle: IoasHandle): IoasObject {
    const ioas = this.objects.alloc((id) => ({ type: 'ioas' as const, id, iopt: new IoPagetable(this.host, this.policy), hwpts: [] }));
    if (handle >= 0 && handle < MAX_IOAS) this.handles[handle] = ioas.id;
    return ioas;
  }

  /** The handle no longer names anything. */
  forget(id: number): void {
    for (let h = 0; h < this.handles.length; h++) if (this.handles[h] === id) this.handles[h] = 0;
  }

  /** The domain a device's DMA goes through: its iommu_group's, whichever device attached it. */
  domainOf(index: number): Domain | undefined {
    const decl = this.decls[index];
    if (decl === undefined) return undefined;
    return this.groups.get(decl.group)?.hwpt?.domain ?? this.stale.get(index);
  }
}
