// Which mappings pin which frames: finds the mappings sharing a frame with a new one
// (T1-ACCT-PER-MAPPING) in O(log n + k) rather than by scanning every mapping.
//
// Per memory object, the pinned runs are grouped by first page in an interval map (the runs
// starting at page p form the unit interval [p, p + 1)), with the longest run's length: a run
// overlapping [first, end) must start in [first - longest + 1, end).
import { IntervalMap } from './interval-map.ts';

interface Pinned<T> { end: bigint; owner: T }
interface ObjectPins<T> { byFirst: IntervalMap<Pinned<T>[]>; longest: bigint }

export class PinIndex<T> {
  private readonly objects = new Map<number, ObjectPins<T>>();

  add(object: number, first: bigint, pages: bigint, owner: T): void {
    const pins = this.objects.get(object) ?? { byFirst: new IntervalMap<Pinned<T>[]>(), longest: 0n };
    this.objects.set(object, pins);
    const run = { end: first + pages, owner };
    const group = pins.byFirst.containing(first);
    if (group) group.push(run);
    else pins.byFirst.insert(first, first + 1n, [run]);
    if (pages > pins.longest) pins.longest = pages;
  }

  remove(object: number, first: bigint, owner: T): void {
    const pins = this.objects.get(object);
    const group = pins?.byFirst.containing(first);
    if (!pins || !group) return;
    const i = group.findIndex((r) => r.owner === owner);
    if (i >= 0) group.splice(i, 1);
    if (group.length === 0) pins.byFirst.remove(first);
    if (pins.byFirst.size === 0) this.objects.delete(object);
  }

  /** Whether an owner other than `owner` pins a page of [first, first + pages) of `object`. */
  sharedWithOthers(object: number, first: bigint, pages: bigint, owner: T): boolean {
    const pins = this.objects.get(object);
    if (!pins) return false;
    const groups = pins.byFirst.overlapping(first - pins.longest + 1n, first + pages);
    return groups.some((group) => group.some((r) => r.owner !== owner && r.end > first));
  }
}
