// A case as a picture: what a family's reference model holds after every operation, in
// family-neutral terms, for `vfio-conform show` and the HTML written beside every failing case.
//
// A family describes its state as lanes (an address space each: the IOVA space, a process's
// virtual addresses) holding half-open intervals, plus the points its probes touched. The
// harness draws them knowing nothing of the family: addresses stay u64 bigints throughout
// (an interval may end at 2^64), labels are the family's own words.

/** One thing that occupies [start, end) of a lane: a mapping, a VMA. */
export interface ViewInterval {
  start: bigint;
  /** Exclusive; at most 2^64. */
  end: bigint;
  /** Short; drawn inside the interval when it fits. */
  label: string;
  /** Everything else worth knowing, on hover. */
  detail?: string;
  /** The legend entry: what kind of thing this is ("mapping rw", "VMA anon"). */
  kind: string;
  /** Intervals of one tone share a colour: the same memory seen from two lanes. */
  tone?: string;
  /** The same thing across steps: one id at another place in the next step is a move. */
  id?: string;
  /** `dashed`: present but not usable (a mapping whose vaddr was invalidated). */
  style?: 'solid' | 'dashed';
}

/** A range of a lane that nothing may occupy (not a valid IOVA, a reserved window). */
export interface ViewReserved { start: bigint; end: bigint; label: string }

export interface ViewLane {
  id: string;
  title: string;
  /** The extent of the space, drawn at the ends of the axis: [start, end), end at most 2^64. */
  bounds?: { start: bigint; end: bigint };
  reserved?: readonly ViewReserved[];
}

/** What an operation touched at one address: a DMA, a CPU access. */
export interface ViewProbe {
  lane: string;
  at: bigint;
  /** e.g. "dmaRead". */
  label: string;
  /** What the model says the access does. */
  expected: 'hit' | 'fault';
  /** What the backend did, when its answer is known. */
  actual?: 'hit' | 'fault';
}

/** The range an operation names (its arguments), clipped to the lane; drawn as a bracket. */
export interface ViewTarget { lane: string; start: bigint; end: bigint; label?: string }

/** The state after one operation. */
export interface ViewStep {
  /** Lane id to what it holds, ascending by start. */
  lanes: Readonly<Record<string, readonly ViewInterval[]>>;
  probes: readonly ViewProbe[];
  targets: readonly ViewTarget[];
  /**
   * What the backend reported of a lane, when its answer describes one (a dump of the
   * mappings): drawn under the model's state, so that the two can be compared.
   */
  reported?: Readonly<Record<string, readonly ViewInterval[]>>;
  /** Counters and such, one short line each. */
  facts?: readonly string[];
}

export interface Timeline {
  lanes: readonly ViewLane[];
  /** One per operation of the case, in order. */
  steps: readonly ViewStep[];
}

/** 2^64: the end of a full u64 space. */
export const SPACE_END = 1n << 64n;
