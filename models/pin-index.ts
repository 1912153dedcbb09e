// Which mappings pin which frames: finds the mappings sharing a frame with a new one
// (T1-ACCT-PER-MAPPING) in O(log n + k) rather than by scanning every mapping.
//
// Per memory object, the pinned runs are kept sorted by first page, with the longest run's
// length: a run overlapping [first, end) must start in [first - longest + 1, end).
import { partitionPoint } from './search.ts';

interface Pinned<T> { first: bigint; end: bigint; owner: T }
interface ObjectPins<T> { runs: Pinned<T>[]; longest: bigint }

export class PinIndex<T> {
  private readonly objects = new Map<number, ObjectPins<T>>();

  add(object: number, first: bigint, pages: bigint, owner: T): void {
    const pins = this.objects.get(object) ?? { runs: [], longest: 0n };
    this.objects.set(object, pins);
    pins.runs.splice(partitionPoint(pins.runs, (r) => r.first < first), 0, { first, end: first + pages, owner });
    if (pages > pins.longest) pins.longest = pages;
  }

  remove(object: number, first: bigint, owner: T): void {
    const pins = this.objects.get(object);
    if (!pins) return;
    for (let i = partitionPoint(pins.runs, (r) => r.first < first); i < pins.runs.length && pins.runs[i]!.first === first; i++) {
      if (pins.runs[i]!.owner === owner) {
        pins.runs.splice(i, 1);
        break;
      }
    }
    if (pins.runs.length === 0) this.objects.delete(object);
  }

  /** Whether an owner other than `owner` pins a page of [first, first + pages) of `object`. */
  sharedWithOthers(object: number, first: bigint, pages: bigint, owner: T): boolean {
    const pins = this.objects.get(object);
    if (!pins) return false;
    const end = first + pages;
    for (let i = partitionPoint(pins.runs, (r) => r.first < first - pins.longest + 1n); i < pins.runs.length; i++) {
      const r = pins.runs[i]!;
      if (r.first >= end) break;
      if (r.owner !== owner && r.end > first) return true;
    }
    return false;
  }
}
