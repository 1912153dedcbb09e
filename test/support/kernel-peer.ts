// A protocol peer of the kernel backend (kernel/vm/backend.ts) for the opt-in kernel tests: one
// request line out, one reply line in, in order.
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';

const root = new URL('../..', import.meta.url).pathname;

export class KernelPeer {
  private child: ChildProcess;
  private waiting: ((line: string) => void)[] = [];
  private id = 0;
  stderr = '';
  /** `args`: the flags of the runner (kernel/vm/backend.ts, or kernel/ppc64/backend.ts), e.g. ['--iommu', 'intel-iommu']. */
  constructor(args: string[], runner = 'kernel/vm/backend.ts') {
    this.child = spawn(process.execPath, ['--import', 'tsx', runner, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (l) => this.waiting.shift()?.(l));
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
  }
  request(body: Record<string, unknown>): Promise<Record<string, any>> {
    const id = this.id++;
    return new Promise((resolve) => {
      this.waiting.push((l) => resolve(JSON.parse(l)));
      this.child.stdin!.write(JSON.stringify({ id, ...body }) + '\n');
    });
  }
  execute(ops: Record<string, unknown>[]): Promise<Record<string, any>[]> {
    return this.request({ type: 'execute', ops }).then((r) => r.results ?? [r]);
  }
  exited(): Promise<number | null> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) resolve(this.child.exitCode);
      else this.child.on('exit', (c) => resolve(c));
    });
  }
  close(): void { this.child.stdin!.end(); }
}
