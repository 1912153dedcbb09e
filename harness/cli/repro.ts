// vfio-conform repro: case files as one standalone program for the real system.
import { writeFileSync } from 'node:fs';
import { emitReproducer } from '../repro.ts';
import { UsageError } from '../suite.ts';
import { parse } from './options.ts';

export const REPRO_HELP = `usage: vfio-conform repro CASE.json... --c OUT.c
  write one standalone C program (libc only: cc -static -O2 -o repro OUT.c) that performs each
  case's operations with the real ioctls and system calls and checks every answer against what
  the reference model expects for the backend the case records; run it as root on a machine
  with a device bound to vfio-pci, naming the device: type1 --group N --device BDF, iommufd
  --cdev /dev/vfio/devices/vfioN, spapr --group N once per container. Each case runs in a process of its own; the program prints
  every step and exits 0 when all answer as expected, 1 at a step that departs (its rule and
  both answers printed), 2 when a case cannot run there (no device, an operation it cannot
  perform: device DMA, mmio memory, a second process)`;

export function reproCommand(args: string[]): number {
  const { values, positionals } = parse(args, { c: { type: 'string' } }, 10_000);
  if (positionals.length === 0) throw new UsageError('repro needs a CASE.json path');
  const out = values.c as string | undefined;
  if (!out) throw new UsageError('repro needs --c OUT.c');
  if (positionals.includes(out)) throw new UsageError(`--c ${out} would overwrite a case file`);
  const { source } = emitReproducer(positionals);
  try {
    writeFileSync(out, source);
  } catch (err) {
    throw new UsageError(`cannot write ${out} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  console.log(out);
  return 0;
}
