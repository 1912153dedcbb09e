// `vfio-conform serve`: any in-process backend behind the protocol of spec/protocol.md.
//
// It is the reference peer for backend authors (what a conforming server answers, byte for
// byte) and lets the suite test its own out-of-process path against the bundled simulators.
// It answers a hello in the version it was asked; version 1 knows only type1.
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { MAX_BATCH, ACCEPTED_PROTOCOLS, PROTOCOL_1_FAMILY } from '../spec/protocol.ts';
import { toPlain } from '../spec/u64.ts';
import { oneLine, type Subject } from './check.ts';
import { BackendLoadError, loadBackend } from './load-backend.ts';

/** Where protocol lines go. */
export interface LineSink { write(line: string): unknown }

/**
 * `vfio-conform serve --backend SPEC` on stdin and stdout. Stdout carries the protocol only:
 * whatever the backend itself prints there goes to stderr. A backend that cannot be loaded is
 * reported on stderr and, to a peer on a pipe, as an error reply to every request until it
 * hangs up, so the suite that started this process learns why in one line. The process ends
 * itself when the process that started it is gone, even while the backend is stuck in a loop.
 * On a pipe, Ctrl-C is the suite's to handle: it finishes the case under way, then says bye.
 */
export async function serveStdio(spec: string): Promise<void> {
  const stdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const output: LineSink = { write: (line) => stdout(line) };
  endWithParent();
  if (!process.stdin.isTTY) process.on('SIGINT', () => {});
  let subject: Subject;
  try {
    subject = await loadBackend(spec, undefined, { modules: 'in-process' });
  } catch (err) {
    if (err instanceof BackendLoadError && !process.stdin.isTTY) {
      process.stderr.write(`vfio-conform: ${err.message}\n`);
      await refuse(err.message, process.stdin, output);
      process.exit(2);
    }
    throw err;
  }
  await serve(subject, process.stdin, output);
}

/** Answers every request with an error reply carrying `message`, until the input ends. */
export async function refuse(message: string, input: NodeJS.ReadableStream, output: LineSink): Promise<void> {
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let id: unknown = null;
    try {
      id = (JSON.parse(line) as { id?: unknown }).id ?? null;
    } catch {
      // An unreadable request gets the same answer, with no id.
    }
    output.write(JSON.stringify({ id, type: 'error', message }) + '\n');
  }
}

/**
 * A watchdog thread: when the parent process is gone, this process kills itself. It runs beside
 * the backend's thread, so a backend looping forever cannot keep it from firing.
 */
function endWithParent(): void {
  const parent = process.ppid;
  if (parent <= 1) return;
  const watchdog = `
    const { workerData: parent } = require('node:worker_threads');
    setInterval(() => {
      try { process.kill(parent, 0); } catch (err) { if (err.code === 'ESRCH') process.kill(process.pid, 'SIGKILL'); }
    }, 250);`;
  new Worker(watchdog, { eval: true, workerData: parent }).unref();
}

export async function serve({ family, backend }: Subject, input: NodeJS.ReadableStream, output: LineSink): Promise<void> {
  const send = (msg: Record<string, unknown>) => output.write(JSON.stringify(msg) + '\n');
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let id: unknown = null;
    try {
      const msg = JSON.parse(line) as Record<string, unknown>;
      id = msg.id;
      switch (msg.type) {
        case 'hello': {
          const version = msg.protocol;
          if (typeof version !== 'number' || !ACCEPTED_PROTOCOLS.includes(version)) {
            throw new Error(`protocol ${JSON.stringify(version)} is not supported (this server speaks ${[...ACCEPTED_PROTOCOLS].reverse().join(' and ')})`);
          }
          if (version === 1 && family.id !== PROTOCOL_1_FAMILY) throw new Error(`protocol 1 cannot carry a ${family.id} backend; ask for protocol 2`);
          const info = family.encodeInfo(backend.info);
          send(version === 1 ? { id, type: 'hello', protocol: 1, info } : { id, type: 'hello', protocol: version, family: family.id, info });
          break;
        }
        case 'reset':
          await backend.reset();
          send({ id, type: 'reset' });
          break;
        case 'execute': {
          if (!Array.isArray(msg.ops) || msg.ops.length > MAX_BATCH) throw new Error(`"ops" must be an array of at most ${MAX_BATCH} operations`);
          const ops = msg.ops.map((o, i) => family.decodeOp(o, `ops[${i}]`));
          send({ id, type: 'results', results: toPlain(await backend.execute(ops)) as unknown[] });
          break;
        }
        case 'bye':
          send({ id, type: 'bye' });
          await backend.dispose?.();
          return;
        default:
          throw new Error(`unknown request type ${JSON.stringify(msg.type)}`);
      }
    } catch (err) {
      send({ id, type: 'error', message: oneLine(err) });
    }
  }
  await backend.dispose?.();
}
