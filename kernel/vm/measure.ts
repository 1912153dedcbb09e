// Measures the kernel backend through its protocol, as the suite sees it:
//   node --import tsx kernel/vm/measure.ts --iommu intel-iommu [--cache DIR] [--profile v1|v2]
//        [--family iommufd] [--kernel ...]   (any other option of backend.ts)
// Prints one JSON object: seconds from spawn to the first operation's result, map/unmap ops/s
// (batches of 256 operations), milliseconds per DMA observation (`dma`: per kind, p50/p90 over
// 20 batches of 10, and QEMU's CPU time per op), and the host's load average at the end. With
// --family iommufd the same figures for IOAS_MAP/IOAS_UNMAP on an IOAS the edu device is
// attached to.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuMs, findQemu } from './qemu-cpu.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const t0 = performance.now();
const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'backend.ts'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = readline.createInterface({ input: child.stdout! });
const waiting: ((l: string) => void)[] = [];
lines.on('line', (l) => waiting.shift()?.(l));
child.on('exit', (c) => { if (waiting.length) { console.error(`backend exited (${c})`); process.exit(1); } });
let id = 0;
function req(body: Record<string, unknown>): Promise<any> {
  return new Promise((resolve, reject) => {
    const myId = id++;
    waiting.push((l) => {
      const m = JSON.parse(l);
      if (m.id !== myId || m.type === 'error') reject(new Error(l));
      else resolve(m);
    });
    child.stdin!.write(JSON.stringify({ id: myId, ...body }) + '\n');
  });
}
const hex = (n: bigint | number): string => '0x' + BigInt(n).toString(16);

const iommufd = args.includes('iommufd');
const hello = await req({ type: 'hello', protocol: iommufd ? 2 : 1, suite: 'measure' });
await req({ type: 'reset' });
// The family's own spelling of each operation the measurement needs.
const op = iommufd
  ? {
    setup: [{ op: 'ioasAlloc', ioas: 0 }, { op: 'bind', dev: 0 }, { op: 'attach', dev: 0, ioas: 0 }],
    first: { op: 'counters' },
    mmap: (vaddr: bigint, size: number) => ({ op: 'mmap', vaddr: hex(vaddr), size: hex(size), prot: 'rw', backing: 'anon' }),
    cpuWrite: (vaddr: bigint, token: string) => ({ op: 'cpuWrite', vaddr: hex(vaddr), token }),
    map: (iova: number, vaddr: bigint) => ({ op: 'map', ioas: 0, flags: 7, iova: hex(iova), vaddr: hex(vaddr), length: '0x1000' }),
    unmap: (iova: number) => ({ op: 'unmap', ioas: 0, iova: hex(iova), length: '0x1000' }),
    dmaRead: (iova: string) => ({ op: 'dmaRead', dev: 0, iova }),
    dmaWrite: (iova: string, token: string) => ({ op: 'dmaWrite', dev: 0, iova, token }),
  }
  : {
    setup: [],
    first: { op: 'getInfo' },
    mmap: (vaddr: bigint, size: number) => ({ op: 'mmap', proc: 0, vaddr: hex(vaddr), size: hex(size), prot: 'rw', backing: 'anon' }),
    cpuWrite: (vaddr: bigint, token: string) => ({ op: 'cpuWrite', proc: 0, vaddr: hex(vaddr), token }),
    map: (iova: number, vaddr: bigint) => ({ op: 'map', proc: 0, flags: 3, iova: hex(iova), vaddr: hex(vaddr), size: '0x1000' }),
    unmap: (iova: number) => ({ op: 'unmap', proc: 0, flags: 0, iova: hex(iova), size: '0x1000' }),
    dmaRead: (iova: string) => ({ op: 'dmaRead', iova }),
    dmaWrite: (iova: string, token: string) => ({ op: 'dmaWrite', iova, token }),
  };
await req({ type: 'execute', ops: [op.first] });
const firstOp = (performance.now() - t0) / 1000;
const arena = BigInt(hello.info.host.arena.start);
if (op.setup.length) await req({ type: 'execute', ops: op.setup });

// map/unmap throughput: 16 pages mapped one at a time, 128 map+unmap pairs per batch
await req({ type: 'execute', ops: [op.mmap(arena, 0x10000)] });
const batch: unknown[] = [];
for (let i = 0; i < 128; i++) {
  const iova = 0x1000000 + (i % 16) * 0x1000;
  batch.push(op.map(iova, arena + BigInt((i % 16) * 0x1000)));
  batch.push(op.unmap(iova));
}
const batches = 20;
let t = performance.now();
for (let b = 0; b < batches; b++) {
  const r = await req({ type: 'execute', ops: batch });
  if (!r.results.every((x: any) => x.ok)) throw new Error('map/unmap failed: ' + JSON.stringify(r.results.find((x: any) => !x.ok)));
}
const mapUnmapOpsPerS = (batches * batch.length) / ((performance.now() - t) / 1000);

// single-op round trips (one request per op)
t = performance.now();
for (let i = 0; i < 50; i++) await req({ type: 'execute', ops: [{ op: 'counters' }] });
const rttMs = (performance.now() - t) / 50;

// DMA observations, per kind: 20 batches of 10 of the same op; the figures per op are the
// batch's time over 10 (p50, p90 over the batches) and QEMU's own CPU time per op (a figure
// that holds on a loaded host, where wall time is mostly waiting for a CPU).
await req({ type: 'execute', ops: [op.cpuWrite(arena, '0x1234'), op.map(0x2000000, arena)] });
const kinds: Record<string, { ops: () => unknown[]; check: (x: any) => boolean }> = {
  dmaRead: { ops: () => [op.dmaRead('0x2000000')], check: (x) => x.ok && x.token === '0x1234' },
  dmaReadFault: { ops: () => [op.dmaRead('0x3000000')], check: (x) => !x.ok && x.errno === 'EFAULT' },
  dmaWrite: { ops: () => [op.dmaWrite('0x2000000', '0x1234')], check: (x) => x.ok },
  // both directions on one page: each change of direction flushes the IOMMU's cache
  dmaReadWrite: { ops: () => [op.dmaRead('0x2000000'), op.dmaWrite('0x2000000', '0x1234')], check: (x) => x.ok },
};
const qemuPid = findQemu(child.pid!);
const qemuCpuMs = (pid: number | null): number | null => (pid === null ? null : cpuMs(pid));
const dma: Record<string, { p50Ms: number; p90Ms: number; meanMs: number; qemuCpuMs: number | null }> = {};
for (const [kind, k] of Object.entries(kinds)) {
  const perOp: number[] = [];
  const cpu0 = qemuCpuMs(qemuPid);
  for (let b = 0; b < 20; b++) {
    const ops = Array.from({ length: 10 / k.ops().length }, k.ops).flat();
    t = performance.now();
    const r = await req({ type: 'execute', ops });
    perOp.push((performance.now() - t) / ops.length);
    if (!r.results.every(k.check)) throw new Error(`${kind}: ` + JSON.stringify(r.results.find((x: any) => !k.check(x))));
  }
  const cpu1 = qemuCpuMs(qemuPid);
  perOp.sort((a, b) => a - b);
  dma[kind] = {
    p50Ms: +perOp[9]!.toFixed(2), p90Ms: +perOp[17]!.toFixed(2), meanMs: +(perOp.reduce((a, b) => a + b) / perOp.length).toFixed(2),
    qemuCpuMs: cpu0 === null || cpu1 === null ? null : +((cpu1 - cpu0) / 200).toFixed(2),
  };
}
t = performance.now();
for (let i = 0; i < 20; i++) await req({ type: 'reset' });
const resetMs = (performance.now() - t) / 20;
await req({ type: 'bye' });
child.stdin!.end();
console.log(JSON.stringify({
  backend: hello.info.name, firstOpSeconds: +firstOp.toFixed(2), mapUnmapOpsPerS: Math.round(mapUnmapOpsPerS),
  singleOpRoundTripMs: +rttMs.toFixed(2), dmaReadMs: dma.dmaRead!.meanMs, dmaReadFaultMs: dma.dmaReadFault!.meanMs,
  dmaWriteMs: dma.dmaWrite!.meanMs, resetMs: +resetMs.toFixed(2), dma, loadAverage: os.loadavg().map((l) => +l.toFixed(2)),
}));
