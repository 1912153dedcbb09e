// Backends in other processes: `exec:COMMAND` (stdio) and `unix:PATH` (a socket), speaking
// the JSON-lines protocol of spec/protocol.md.
//
// Every way such a backend can go wrong (it exits, closes the stream, hangs, answers garbage or
// out of order) ends the pending request with a StreamFault that says which, so the harness
// reports it and moves on instead of hanging or crashing.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Backend, BackendInfoBase, FamilyOp } from '../spec/family.ts';
import { checkReply, MAX_BATCH, PROTOCOL_VERSION, PROTOCOL_VERSIONS, V1_FAMILY, type Request } from '../spec/protocol.ts';
import { isRecord, WireError } from '../spec/u64.ts';
import { SUITE_VERSION } from './version.ts';

export class StreamFault extends Error {}

/** The peer answered a request with an error reply. */
class PeerError extends StreamFault {}

export interface StreamOptions {
  /** How long the peer may take to answer one request. */
  timeoutMs: number;
  /** Encodes one operation for the wire. */
  encodeOp(op: FamilyOp): Record<string, unknown>;
  /** The backend's info from a hello's family and raw info; throws an Error when malformed. */
  decodeHello(family: string, info: unknown): BackendInfoBase;
}

/** A backend behind a stream, with the family its hello named. */
export interface StreamBackendHandle extends Backend {
  readonly family: string;
}

type Pending = { resolve: (line: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

/** One request at a time over a line-oriented stream. */
class LineChannel {
  private buffer = '';
  private pending: Pending | null = null;
  private dead: string | null = null;
  private readonly stderrTail: string[] = [];

  constructor(private readonly input: Readable, private readonly output: Writable, private readonly timeoutMs: number, stderr?: Readable | null) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.onData(chunk));
    input.on('end', () => this.onEnd());
    input.on('error', (err) => this.die(`stream error: ${err.message}`));
    output.on('error', (err) => this.die(`stream error: ${err.message}`));
    stderr?.setEncoding('utf8');
    stderr?.on('data', (chunk: string) => {
      this.stderrTail.push(...chunk.split('\n').filter((l) => l.trim()));
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - 5));
    });
  }

  /** What the end of the stream means; an exec backend first waits to learn its exit status. */
  onEnd: () => void = () => this.die('closed its output');

  die(why: string): void {
    if (this.dead) return;
    const last = this.stderrTail.at(-1);
    this.dead = last ? `${why} (its last words on stderr: ${last.trim()})` : why;
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(new StreamFault(this.dead));
    }
  }

  request(message: Request): Promise<unknown> {
    if (this.dead) return Promise.reject(new StreamFault(this.dead));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new StreamFault(`no reply to "${message.type}" within ${this.timeoutMs / 1000} s`));
        this.die('timed out');
      }, this.timeoutMs);
      this.pending = { resolve, reject, timer };
      this.output.write(JSON.stringify(message) + '\n');
    }).then((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new StreamFault(`sent a line that is not JSON: ${line.slice(0, 120)}`);
      }
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      const p = this.pending;
      if (!p) {
        this.die(`sent an unrequested line: ${line.slice(0, 120)}`);
        return;
      }
      this.pending = null;
      clearTimeout(p.timer);
      p.resolve(line);
    }
  }
}

class StreamBackend implements StreamBackendHandle {
  private nextId = 1;
  info!: BackendInfoBase;
  family!: string;

  constructor(private readonly channel: LineChannel, private readonly options: StreamOptions, private readonly close: () => void) {}

  async hello(): Promise<void> {
    let reply: Record<string, unknown>;
    let version = PROTOCOL_VERSION;
    try {
      reply = await this.call({ id: 0, type: 'hello', protocol: version, suite: SUITE_VERSION }, 'hello');
    } catch (err) {
      // A version-1 peer refuses the version-2 hello with an error reply: greet it in its own.
      if (!(err instanceof PeerError)) throw err;
      version = 1;
      reply = await this.call({ id: this.nextId++, type: 'hello', protocol: version, suite: SUITE_VERSION }, 'hello');
    }
    // A version-1 peer may also answer the version-2 hello in its own version.
    if (reply.protocol === 1) version = 1;
    if (reply.protocol !== version) throw new StreamFault(`answered a protocol ${version} hello with protocol ${JSON.stringify(reply.protocol)} (the suite speaks ${PROTOCOL_VERSIONS.join(' and ')})`);
    if (version > 1 && typeof reply.family !== 'string') throw new StreamFault('sent a malformed hello: "family" must be a string');
    this.family = version > 1 ? (reply.family as string) : V1_FAMILY;
    try {
      this.info = this.options.decodeHello(this.family, reply.info);
    } catch (err) {
      throw new StreamFault(`sent a malformed hello: ${(err as Error).message}`);
    }
  }

  async reset(): Promise<void> {
    await this.call({ id: this.nextId++, type: 'reset' }, 'reset');
  }

  /** Raw wire results: check.ts decodes and validates each one. */
  async execute(ops: readonly FamilyOp[]): Promise<never[]> {
    const results: unknown[] = [];
    for (let i = 0; i < ops.length; i += MAX_BATCH) {
      const batch = ops.slice(i, i + MAX_BATCH);
      const reply = await this.call({ id: this.nextId++, type: 'execute', ops: batch.map((op) => this.options.encodeOp(op)) }, 'results');
      if (!Array.isArray(reply.results)) throw new StreamFault('sent results that are not an array');
      results.push(...reply.results);
      if (reply.results.length !== batch.length) break; // check.ts reports the count
    }
    return results as never[];
  }

  async dispose(): Promise<void> {
    try {
      await this.call({ id: this.nextId++, type: 'bye' }, 'bye');
    } catch {
      // A backend that cannot say goodbye is closed all the same.
    }
    this.close();
  }

  private async call(message: Request, type: string): Promise<Record<string, unknown>> {
    const reply = await this.channel.request(message);
    if (isRecord(reply) && reply.id === message.id && reply.type === 'error') {
      throw new PeerError(`backend reported an error: ${typeof reply.message === 'string' ? reply.message : JSON.stringify(reply.message)}`);
    }
    try {
      return checkReply(reply, message.id, type);
    } catch (err) {
      if (err instanceof WireError) throw new StreamFault(err.message);
      throw err;
    }
  }
}

export async function execBackend(command: string, options: StreamOptions): Promise<StreamBackendHandle> {
  const { timeoutMs } = options;
  let child: ChildProcess;
  try {
    child = spawn(command, { shell: true, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    throw new StreamFault(`cannot start: ${(err as Error).message}`);
  }
  const channel = new LineChannel(child.stdout!, child.stdin!, timeoutMs, child.stderr);
  let exited = false;
  child.on('exit', (code, signal) => {
    exited = true;
    channel.die(signal ? `was killed by ${signal}` : `exited with status ${code}`);
  });
  channel.onEnd = () => {
    if (!exited) setTimeout(() => channel.die('closed its output'), 500).unref();
  };
  child.on('error', (err) => channel.die(`cannot start: ${err.message}`));
  const backend = new StreamBackend(channel, options, () => {
    child.stdin?.end();
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
  try {
    await backend.hello();
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return backend;
}

export async function unixBackend(path: string, options: StreamOptions): Promise<StreamBackendHandle> {
  const { timeoutMs } = options;
  const socket = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (err) => reject(new StreamFault(`cannot connect to ${path}: ${err.message}`)));
  });
  const channel = new LineChannel(socket, socket, timeoutMs);
  const backend = new StreamBackend(channel, options, () => socket.destroy());
  await backend.hello();
  return backend;
}
