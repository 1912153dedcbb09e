// A vfio-user server on a Unix socket: QEMU's vfio-user-pci connects at realize and from then on
// every DMA_MAP and DMA_UNMAP its VFIO container makes arrives here, in the order it made them.
//
// QEMU passes the RAM's fd with SCM_RIGHTS; Node's stream sockets read no ancillary data, so the
// kernel drops (closes) those fds. None is needed: DMA_MAP carries the iova, the size and the
// offset in the RAM's file, which for the memfd behind all of guest RAM is the guest address.
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { DummyDevice } from './device.ts';
import {
  COMMAND, commandName, decodeDmaMap, decodeDmaUnmap, FLAG_NO_REPLY, HEADER_SIZE, readHeader, reply, type DmaMessage, type Header,
} from './protocol.ts';

const EINVAL = 22;
const ENOTSUP = 95;

/** What the server advertises in VERSION: 4 KiB DMA pages (the granule a virtio-iommu takes from it). */
const CAPABILITIES = { capabilities: { max_msg_fds: 8, max_data_xfer_size: 1 << 20, pgsizes: 4096, max_dma_maps: 65535 } };

export class VfioUserServer {
  readonly device = new DummyDevice();
  /** Every DMA_MAP and DMA_UNMAP since the last `take`, in arrival order. */
  private dma: DmaMessage[] = [];
  messages = 0;
  private socket: Socket | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private failure: Error | null = null;

  /** One client: QEMU's vfio-user-pci, which connects while it is realized. */
  private constructor(private readonly server: Server, readonly path: string) {
    server.once('connection', (s: Socket) => {
      this.socket = s;
      s.on('data', (chunk: Buffer) => this.receive(chunk));
      s.on('error', (err) => { this.failure ??= err; });
    });
  }

  static async listen(path: string): Promise<VfioUserServer> {
    rmSync(path, { force: true });
    const server = createServer();
    const vfu = new VfioUserServer(server, path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return vfu;
  }

  /** The DMA messages received since the last call; a protocol failure is thrown here. */
  take(): DmaMessage[] {
    if (this.failure) throw this.failure;
    const out = this.dma;
    this.dma = [];
    return out;
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= HEADER_SIZE) {
      const h = readHeader(this.buffered);
      if (h.size < HEADER_SIZE) {
        this.failure ??= new Error(`vfio-user: message of ${h.size} bytes, shorter than its header`);
        this.socket?.destroy();
        return;
      }
      if (this.buffered.length < h.size) return;
      const payload = this.buffered.subarray(HEADER_SIZE, h.size);
      this.buffered = this.buffered.subarray(h.size);
      this.messages++;
      const [answer, errno] = this.handle(h, payload);
      if (!(h.flags & FLAG_NO_REPLY)) this.socket!.write(reply(h, answer, errno));
    }
  }

  /** The reply payload, or an errno. */
  private handle(h: Header, p: Buffer): [Buffer, number] {
    const d = this.device;
    switch (h.command) {
      case COMMAND.VERSION: {
        const json = Buffer.from(JSON.stringify(CAPABILITIES) + '\0');
        const version = Buffer.alloc(4); // major 0, minor 0
        return [Buffer.concat([version, json]), 0];
      }
      case COMMAND.DMA_MAP: this.dma.push(decodeDmaMap(p)); return [Buffer.alloc(0), 0];
      case COMMAND.DMA_UNMAP: this.dma.push(decodeDmaUnmap(p)); return [Buffer.alloc(0), 0];
      case COMMAND.DEVICE_GET_INFO: return [d.info(), 0];
      case COMMAND.DEVICE_GET_REGION_INFO: return [d.regionInfo(p.readUInt32LE(8)), 0];
      case COMMAND.DEVICE_GET_IRQ_INFO: return [d.irqInfo(p.readUInt32LE(8)), 0];
      case COMMAND.DEVICE_SET_IRQS: case COMMAND.DEVICE_RESET: return [Buffer.alloc(0), 0];
      case COMMAND.REGION_READ: {
        const offset = Number(p.readBigUInt64LE(0));
        const region = p.readUInt32LE(8);
        const count = p.readUInt32LE(12);
        return [Buffer.concat([p.subarray(0, 16), d.read(region, offset, count)]), 0];
      }
      case COMMAND.REGION_WRITE: {
        d.write(p.readUInt32LE(8), Number(p.readBigUInt64LE(0)), p.subarray(16, 16 + p.readUInt32LE(12)));
        return [p.subarray(0, 16), 0];
      }
      case COMMAND.REGION_IO_FDS: return [Buffer.alloc(0), EINVAL];
      default:
        this.failure ??= new Error(`vfio-user: the client sent ${commandName(h.command)}, which this server does not implement`);
        return [Buffer.alloc(0), ENOTSUP];
    }
  }
}
