// A virtio-iommu driver over qtest: device initialisation (virtio 1.x, "Device Initialization"),
// the device configuration, one request at a time on the request queue, and the event queue.
// It knows endpoints only by their id (a PCI requester id), not what device they are.
import { QtestError, type Qtest } from '../qtest.ts';
import { EventQueue, type FaultEvent } from './events.ts';
import { EVENT_BUFFERS, EVENT_QUEUE, REQUEST_BUFFER, REQUEST_QUEUE } from './layout.ts';
import { S_OK, statusName, type Request } from './requests.ts';
import {
  F_VERSION_1, STATUS_ACKNOWLEDGE, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FEATURES_OK, type VirtioPci,
} from './transport.ts';
import { queueAt, SplitQueue } from './virtqueue.ts';

export const F_INPUT_RANGE = 0;
export const F_DOMAIN_RANGE = 1;
export const F_MAP_UNMAP = 2;
export const F_BYPASS_CONFIG = 6;

const bit = (n: number) => 1n << BigInt(n);
const QUEUE_SIZE = 64;
/** The request body goes here, its device-writable part at REQUEST_BUFFER + WRITABLE_AT. */
const WRITABLE_AT = 0x800n;

/** struct virtio_iommu_config as read after FEATURES_OK. */
export interface IommuConfig {
  pageSizeMask: bigint;
  inputRange: { start: bigint; end: bigint };
  domainRange: { start: number; end: number };
  probeSize: number;
  /** Whether unattached endpoints pass untranslated (meaningful with BYPASS_CONFIG). */
  bypass: boolean;
  /** The features both sides agreed on. */
  features: bigint;
}

export class VirtioIommuDriver {
  private requests!: SplitQueue;
  private events!: EventQueue;
  config!: IommuConfig;

  constructor(private readonly transport: VirtioPci) {}

  private get qtest(): Qtest { return this.transport.qtest; }

  /** Resets the device (it forgets every domain and endpoint) and initialises it again. */
  async initialise(): Promise<void> {
    const t = this.transport;
    await t.setStatus(0);
    await t.setStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    const offered = await t.deviceFeatures();
    const needed = bit(F_VERSION_1) | bit(F_MAP_UNMAP);
    if ((offered & needed) !== needed) throw new QtestError(`virtio-iommu offers features 0x${offered.toString(16)}, without VERSION_1 or MAP_UNMAP`);
    const features = offered & (needed | bit(F_INPUT_RANGE) | bit(F_DOMAIN_RANGE) | bit(F_BYPASS_CONFIG));
    await t.driverFeatures(features);
    await t.setStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    if (!((await t.status()) & STATUS_FEATURES_OK)) throw new QtestError(`virtio-iommu refused features 0x${features.toString(16)}`);
    this.config = await this.readConfig(features);
    const rq = await t.setupQueue(0, QUEUE_SIZE, queueAt(REQUEST_QUEUE, QUEUE_SIZE));
    const eq = await t.setupQueue(1, QUEUE_SIZE, queueAt(EVENT_QUEUE, QUEUE_SIZE));
    await Promise.all([this.qtest.memset(REQUEST_QUEUE, 0x2000n), this.qtest.memset(EVENT_QUEUE, 0x2000n)]);
    this.requests = new SplitQueue(this.qtest, queueAt(REQUEST_QUEUE, rq.size), rq.size, rq.notify, 0);
    this.events = new EventQueue(this.qtest, new SplitQueue(this.qtest, queueAt(EVENT_QUEUE, eq.size), eq.size, eq.notify, 1), EVENT_BUFFERS);
    await t.setStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    await this.events.start();
  }

  private async readConfig(features: bigint): Promise<IommuConfig> {
    const q = this.qtest;
    const d = this.transport.device;
    const u64 = async (at: bigint) => (await q.readl(d + at)) | ((await q.readl(d + at + 4n)) << 32n);
    const u32 = async (at: bigint) => Number(await q.readl(d + at));
    const has = (n: number) => (features & bit(n)) !== 0n;
    return {
      pageSizeMask: await u64(0n),
      inputRange: has(F_INPUT_RANGE) ? { start: await u64(8n), end: await u64(16n) } : { start: 0n, end: (1n << 64n) - 1n },
      domainRange: has(F_DOMAIN_RANGE) ? { start: await u32(24n), end: await u32(28n) } : { start: 0, end: 0xffffffff },
      probeSize: await u32(32n),
      bypass: has(F_BYPASS_CONFIG) && ((await q.readb(d + 36n)) & 1) === 1,
      features,
    };
  }

  /** Sends one request and answers the status the device wrote in its tail. */
  async request(req: Request): Promise<number> {
    const q = this.qtest;
    const tail = REQUEST_BUFFER + WRITABLE_AT + BigInt(req.writable - 4);
    const writes = [
      q.write(REQUEST_BUFFER, req.body), q.writeb(tail, 0xff),
      ...this.requests.writeChain(0, [
        { addr: REQUEST_BUFFER, len: req.body.length, writable: false },
        { addr: REQUEST_BUFFER + WRITABLE_AT, len: req.writable, writable: true },
      ]),
      ...this.requests.offer([0]),
    ];
    await Promise.all(writes);
    await this.requests.waitUsed(1, req.what);
    const status = await q.readb(tail);
    if (status > 8) throw new QtestError(`${req.what}: the device wrote no status`);
    return status;
  }

  /** As request, for requests whose failure is not an answer but a broken machine. */
  async mustSucceed(req: Request): Promise<void> {
    const s = await this.request(req);
    if (s !== S_OK) throw new QtestError(`${req.what}: ${statusName(s)}`);
  }

  /** The fault events reported since the last call. */
  takeFaults(): Promise<FaultEvent[]> { return this.events.take(); }
}
