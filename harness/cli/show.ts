// vfio-conform show: a case file as text, or drawn as one self-contained HTML page.
import { resolve } from 'node:path';
import { loadShownCase } from '../show/case.ts';
import { printShownCase } from '../show/text.ts';
import { writeShowHtml } from '../show/write.ts';
import { UsageError } from '../suite.ts';
import { parse } from './options.ts';

export const SHOW_HELP = `usage: vfio-conform show CASE.json [--html OUT.html]
  print a written case as replay does, without running a backend; with --html, draw it as one
  self-contained HTML page: the IOVA space and each process's address space over the steps,
  the accesses and what they did, and the failing step with what was expected against what
  the backend answered`;

export async function showCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { html: { type: 'string' } }, 1);
  const path = positionals[0];
  if (!path) throw new UsageError('show needs a CASE.json path');
  if (values.html !== undefined) {
    const out = values.html as string;
    if (!out) throw new UsageError('--html needs a file name');
    if (resolve(out) === resolve(path)) throw new UsageError(`--html ${out} would overwrite the case file`);
    try {
      writeShowHtml(path, out);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code === 'string') throw new UsageError(`cannot write ${out} (${code})`);
      throw err;
    }
    console.log(out);
    return 0;
  }
  printShownCase(process.stdout, loadShownCase(path), path);
  return 0;
}
