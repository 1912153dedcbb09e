// Where things are on the virtio-iommu machine: PCI slots and BARs, and the guest-physical
// layout of what this driver keeps in guest RAM.
//
// The guest has 3 GiB: q35 puts 2 GiB below 4 GiB and the third at 4 GiB. Translations point
// into [1 GiB, 2 GiB) (declared as `ram`); the virtqueues, request and event buffers and the
// scratch page live above 4 GiB, where neither a generated translation nor an endpoint passing
// untranslated below 2^31 can reach them.
export const GIB = 0x40000000n;
export const PAGE = 0x1000n;

export const GUEST_RAM = '3G';
export const RAM = { start: GIB, size: GIB };

/** The virtio-iommu-pci function and the BAR its virtio structures are in (BAR 4, 64-bit). */
export const VIRTIO_IOMMU_SLOT = 0x08;
export const VIRTIO_BAR = 0xfe400000n;
export const VIRTIO_VENDOR_DEVICE = 0x10571af4;

const HIGH = 0x100000000n;
/** The request queue: descriptors, available ring, used ring (see virtqueue.ts). */
export const REQUEST_QUEUE = HIGH;
/** The event queue: the same shape. */
export const EVENT_QUEUE = HIGH + 0x10000n;
/** One request at a time: its driver-readable body, then its device-writable part. */
export const REQUEST_BUFFER = HIGH + 0x20000n;
/** The event buffers, one fault record each. */
export const EVENT_BUFFERS = HIGH + 0x30000n;
/** The page a scratch mapping reaches in every domain: how tokens enter and leave edu's buffer. */
export const SCRATCH_PAGE = HIGH + 0x100000n;
