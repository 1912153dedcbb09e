// An iommu_domain: the IO page table a device's DMA walks. Areas are written into it when they
// are filled (iopt_area_fill_domain(s): batch_to_domain) and removed when they are unmapped or
// the domain leaves the IOAS; what it holds is a copy of the frames pinned at fill time, so the
// process may unmap or replace that memory without changing what the device reaches.
import type { Device } from '../../../spec/iommufd/backend.ts';
import { PAGE_SHIFT } from '../../type1/sim/constants.ts';
import type { Frame } from '../../type1/sim/frames.ts';
import { partitionPoint } from '../../sorted.ts';
import { runFrame, type PinnedRun } from './pages.ts';

export type Access = 'read' | 'write';

interface Entry {
  readonly iova: bigint;
  /** Inclusive. */
  readonly last: bigint;
  readonly read: boolean;
  readonly write: boolean;
  /** The page index that `iova` maps (the area's first index) and the frames, by index. */
  readonly firstIndex: bigint;
  readonly runs: readonly PinnedRun[];
  /** Who wrote the entry (the area), so that it is removed exactly. */
  readonly owner: object;
}

export class Domain {
  private entries: Entry[] = [];

  /** `decl`: the device the domain was allocated for; its IOMMU decides geometry and compatibility. */
  constructor(readonly decl: Device) {}

  get pgsizes(): bigint {
    return this.decl.pgsizes;
  }

  /** The domain's smallest page: the iova alignment it imposes (iopt_table_add_domain). */
  get minPage(): bigint {
    return this.decl.pgsizes & -this.decl.pgsizes;
  }

  /** Whether the domain can be attached to `dev`: both sit behind the same kind of IOMMU. */
  compatible(dev: Device): boolean {
    const a = this.decl;
    return a.pgsizes === dev.pgsizes && a.hwInfoType === dev.hwInfoType
      && a.aperture.start === dev.aperture.start && a.aperture.last === dev.aperture.last;
  }

  map(owner: object, iova: bigint, last: bigint, read: boolean, write: boolean, firstIndex: bigint, runs: readonly PinnedRun[]): void {
    const at = partitionPoint(this.entries, (e) => e.iova > iova);
    this.entries.splice(at, 0, { iova, last, read, write, firstIndex, runs, owner });
  }

  unmap(owner: object): void {
    this.entries = this.entries.filter((e) => e.owner !== owner);
  }

  /** Keep only the last page of `owner`'s entry (mutant unmap-stale-tail). */
  keepLastPage(owner: object): void {
    const e = this.entries.find((x) => x.owner === owner);
    if (e === undefined) return;
    const pageStart = e.last & ~0xfffn;
    this.unmap(owner);
    this.map({}, pageStart, e.last, e.read, e.write, e.firstIndex + ((pageStart - e.iova) >> PAGE_SHIFT), e.runs);
  }

  clear(): void {
    this.entries = [];
  }

  translate(iova: bigint, access: Access): Frame | 'EFAULT' {
    const e = this.entries[partitionPoint(this.entries, (x) => x.last >= iova)];
    if (e === undefined || e.iova > iova) return 'EFAULT';
    if (access === 'read' ? !e.read : !e.write) return 'EFAULT';
    const index = e.firstIndex + ((iova - e.iova) >> PAGE_SHIFT);
    const run = e.runs.find((r) => r.start <= index && index < r.end);
    return run === undefined ? 'EFAULT' : runFrame(run, index);
  }
}
