// A qtest client: QEMU started with `-qtest stdio` takes one text command a line and answers
// each with one line, in order. This program plays the guest: every memory and I/O access of
// the IOMMU's programming goes through here.
//
// Commands may be issued without awaiting the previous one: QEMU answers them in order, so
// replies are matched first-in first-out and a batch of writes costs one round trip.
// Its log of every command goes to /dev/null, not stderr (its default), so stderr holds only
// what QEMU has to say. QEMU runs in a process group of its own, killed whole on dispose;
// `setpriv --pdeathsig` kills it too when this process dies without disposing.
import { spawn, type ChildProcess } from 'node:child_process';
import { Trace } from './trace.ts';

export class QtestError extends Error {}

interface Pending { line: string; resolve(reply: string): void; reject(err: Error): void }

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export class Qtest {
  private readonly child: ChildProcess;
  private readonly pending: Pending[] = [];
  private buffered = '';
  private stderrTail: string[] = [];
  private dead: Error | null = null;
  private readonly exited: Promise<void>;
  commands = 0;
  /** Set by VFIO_CONFORM_QTEST_TRACE=DIR: every command kept for a standalone script (trace.ts). */
  private readonly trace: Trace | null;

  /** `command`: the program and its leading arguments (qemu/build.ts); `args`: the machine. */
  constructor(command: readonly string[], args: string[]) {
    const traceDir = process.env.VFIO_CONFORM_QTEST_TRACE;
    this.trace = traceDir ? new Trace(traceDir, command, args) : null;
    const argv = ['--pdeathsig', 'KILL', ...command, '-qtest', 'stdio', '-qtest-log', '/dev/null', '-display', 'none', '-nodefaults', '-no-user-config', '-monitor', 'none', '-serial', 'none', ...args];
    this.child = spawn('setpriv', argv, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.receive(chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = [...this.stderrTail, ...chunk.split('\n').filter((l) => l.trim())].slice(-5);
    });
    this.child.stdin!.on('error', () => { /* reported by the exit handler */ });
    this.exited = new Promise((resolve) => {
      const gone = (why: string) => {
        if (!this.dead) this.fail(new QtestError(`QEMU ${why}${this.stderrTail.length ? `: ${this.stderrTail.join(' | ')}` : ''}`));
        resolve();
      };
      this.child.on('error', (err) => gone(`could not start (${err.message})`));
      this.child.on('exit', (code, signal) => gone(signal ? `was killed by ${signal}` : `exited with status ${code}`));
    });
  }

  /** One command; its reply without the leading `OK`. */
  cmd(line: string): Promise<string> {
    if (this.dead) return Promise.reject(this.dead);
    this.commands++;
    this.trace?.record(line);
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.child.stdin!.write(line + '\n');
    });
  }

  writeb(addr: bigint, v: bigint | number): Promise<string> { return this.cmd(`writeb ${hex(addr)} ${hex(v)}`); }
  writew(addr: bigint, v: bigint | number): Promise<string> { return this.cmd(`writew ${hex(addr)} ${hex(v)}`); }
  writel(addr: bigint, v: bigint | number): Promise<string> { return this.cmd(`writel ${hex(addr)} ${hex(v)}`); }
  writeq(addr: bigint, v: bigint): Promise<string> { return this.cmd(`writeq ${hex(addr)} ${hex(v)}`); }
  outl(port: number, v: number): Promise<string> { return this.cmd(`outl ${hex(port)} ${hex(v)}`); }
  outw(port: number, v: number): Promise<string> { return this.cmd(`outw ${hex(port)} ${hex(v)}`); }
  async inl(port: number): Promise<number> { return Number(BigInt(await this.cmd(`inl ${hex(port)}`))); }
  async readw(addr: bigint): Promise<number> { return Number(BigInt(await this.cmd(`readw ${hex(addr)}`))); }
  async readl(addr: bigint): Promise<bigint> { return BigInt(await this.cmd(`readl ${hex(addr)}`)); }
  async readq(addr: bigint): Promise<bigint> { return BigInt(await this.cmd(`readq ${hex(addr)}`)); }
  async readb(addr: bigint): Promise<number> { return Number(BigInt(await this.cmd(`readb ${hex(addr)}`))); }
  memset(addr: bigint, len: bigint, v = 0): Promise<string> { return this.cmd(`memset ${hex(addr)} ${hex(len)} ${hex(v)}`); }
  write(addr: bigint, data: Uint8Array): Promise<string> {
    return this.cmd(`write ${hex(addr)} ${hex(data.length)} 0x${Buffer.from(data).toString('hex')}`);
  }
  async read(addr: bigint, len: number): Promise<Uint8Array> {
    const reply = await this.cmd(`read ${hex(addr)} ${hex(len)}`);
    return Uint8Array.from(Buffer.from(reply.replace(/^0x/, ''), 'hex'));
  }

  /** A comment in the trace, if one is kept: which operation the commands that follow carry out. */
  note(text: string): void { this.trace?.note(text); }

  /** Ends QEMU's process group and waits for it to be gone. */
  async dispose(): Promise<void> {
    this.trace?.write();
    if (this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      this.dead ??= new QtestError('QEMU was stopped');
      try { process.kill(-this.child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    await this.exited;
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).trim();
      this.buffered = this.buffered.slice(nl + 1);
      // Interrupt notices come unasked when interception is on; nothing here turns it on.
      if (!line || line.startsWith('IRQ')) continue;
      const waiting = this.pending.shift();
      if (!waiting) continue;
      this.trace?.reply(line);
      if (line === 'OK' || line.startsWith('OK ')) waiting.resolve(line.slice(2).trim());
      else waiting.reject(new QtestError(`qtest: ${waiting.line} -> ${line}`));
    }
  }

  private fail(err: Error): void {
    this.dead = err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}
