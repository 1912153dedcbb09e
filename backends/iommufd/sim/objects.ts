// The context's objects (drivers/iommu/iommufd/main.c): one xarray of ids allocated from 1, the
// lowest free one first (XA_FLAGS_ALLOC1, xa_alloc), looked up by id and type: a missing id or
// one of another type is ENOENT (iommufd_get_object).
import type { Device } from '../../../spec/iommufd/backend.ts';
import type { Domain } from './domain.ts';
import type { IoPagetable } from './io-pagetable.ts';

export interface IoasObject {
  readonly type: 'ioas';
  readonly id: number;
  readonly iopt: IoPagetable;
  /** ioas->hwpt_list: the automatic domains attached to it, oldest first. */
  readonly hwpts: HwptObject[];
}

/** An IOMMUFD_OBJ_HWPT_PAGING of an automatic domain. */
export interface HwptObject {
  readonly type: 'hwpt';
  readonly id: number;
  readonly ioas: IoasObject;
  readonly domain: Domain;
}

/** struct iommufd_group: per context, shared by the bound devices of one iommu_group. */
export interface IGroup {
  readonly group: number;
  hwpt: HwptObject | null;
  /** igroup->device_list: the devices attached through this group's hwpt. */
  readonly attached: DeviceObject[];
  /** Bound devices referring to it. */
  refs: number;
}

export interface DeviceObject {
  readonly type: 'device';
  readonly id: number;
  readonly index: number;
  readonly decl: Device;
  readonly igroup: IGroup;
  /** vdev->iommufd_attached. */
  attached: boolean;
}

export type IommufdObject = IoasObject | HwptObject | DeviceObject;

export class ObjectTable {
  private readonly objects = new Map<number, IommufdObject>();

  get isEmpty(): boolean {
    return this.objects.size === 0;
  }

  /** xa_alloc: the lowest free id from 1. */
  alloc<T extends IommufdObject>(make: (id: number) => T): T {
    let id = 1;
    while (this.objects.has(id)) id++;
    const obj = make(id);
    this.objects.set(id, obj);
    return obj;
  }

  get<K extends IommufdObject['type']>(id: number, type: K): Extract<IommufdObject, { type: K }> | undefined {
    const obj = this.objects.get(id);
    return obj !== undefined && obj.type === type ? (obj as Extract<IommufdObject, { type: K }>) : undefined;
  }

  remove(id: number): void {
    this.objects.delete(id);
  }

  all(): IommufdObject[] {
    return [...this.objects.values()];
  }
}
