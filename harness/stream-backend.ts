// Backends in other processes: `exec:COMMAND` (stdio) and `unix:PATH` (a socket), speaking
// the JSON-lines protocol of spec/protocol.md.
//
// Every way such a backend can go wrong (it exits, closes the stream, hangs, answers garbage or
// out of order) ends the pending request with a StreamFault that says which, so the harness
// reports it and moves on instead of hanging or crashing.
//
// This module knows the protocol, not the operation families: what an operation looks like on
// the wire and what a hello's `info` means are the caller's (`StreamOptions`).
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { ACCEPTED_PROTOCOLS, MAX_BATCH, PROTOCOL_1_FAMILY, PROTOCOL_VERSION, type Request } from '../spec/protocol.ts';
import { SUITE_VERSION } from './version.ts';

export class StreamFault extends Error {
  /**
   * For a fault during `execute`: how many of its operations the peer was sent (the batches
   * answered plus the one in flight), so that a case file can hold exactly those.
   */
  readonly sent: number | undefined;

  constructor(message: string, sent?: number) {
    super(message);
    this.name = 'StreamFault';
    this.sent = sent;
  }
}

/** What every peer says about itself; a family's `decodeHello` may return more. */
export interface PeerInfo {
  readonly name: string;
  readonly description: string;
  readonly profile: string;
  readonly capabilities: readonly string[];
}

export interface StreamOptions<O extends { op: string } = { op: string }, I extends PeerInfo = PeerInfo> {
  /**
   * How long the suite waits for the reply to one request (hello, reset, one `execute` batch of
   * up to MAX_BATCH operations, bye), counted from when the request is written. It bounds each
   * request, not a case nor a run: a case of many batches may take longer in all.
   */
  timeoutMs: number;
  /** Encodes one operation for the wire. */
  encodeOp(op: O): Record<string, unknown>;
  /** Turns a hello's family and raw info into the backend's info; throws an Error with a one-line message when malformed. */
  decodeHello(family: string, info: unknown): I;
}

/** A backend in another process, after a successful hello. */
export interface StreamBackendHandle<O extends { op: string } = { op: string }, I extends PeerInfo = PeerInfo> {
  /** The operation family the peer named in its hello ("type1" for a protocol 1 peer). */
  readonly family: string;
  /** The protocol version agreed in the hello. */
  readonly protocol: number;
  readonly info: I;
  reset(): Promise<void>;
  /**
   * Raw wire results, exactly one per operation, in order: the caller decodes and validates
   * each one. Rejects with a StreamFault, whose `sent` says how many operations the peer got,
   * when the peer faults or answers a batch with more or fewer results than operations.
   */
  execute(ops: readonly O[]): Promise<unknown[]>;
  /** Says goodbye and ends the peer; never throws. */
  dispose(): Promise<void>;
}

type Pending = { resolve: (line: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

/** One request at a time over a line-oriented stream. */
class LineChannel {
  private buffer = '';
  private pending: Pending | null = null;
  dead: string | null = null;
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

class StreamBackend<O extends { op: string }, I extends PeerInfo> implements StreamBackendHandle<O, I> {
  private nextId = 1;
  family!: string;
  protocol!: number;
  info!: I;

  constructor(private readonly channel: LineChannel, private readonly options: StreamOptions<O, I>, private readonly close: () => void) {}

  /** Offers each accepted protocol version, newest first, until the peer takes one. */
  async hello(): Promise<void> {
    let refusal = '';
    for (const version of ACCEPTED_PROTOCOLS) {
      const reply = await this.channel.request({ id: 0, type: 'hello', protocol: version, suite: SUITE_VERSION });
      if (isRecord(reply) && reply.id === 0 && reply.type === 'error') {
        refusal = errorText(reply.message);
        continue; // a peer of an older protocol refuses a newer hello
      }
      this.accept(checkEnvelope(reply, 0, 'hello'));
      return;
    }
    throw new StreamFault(`refused every protocol the suite speaks (${ACCEPTED_PROTOCOLS.join(', ')}): ${refusal}`);
  }

  private accept(reply: Record<string, unknown>): void {
    const protocol = reply.protocol;
    if (protocol === 1) {
      this.family = PROTOCOL_1_FAMILY;
    } else if (protocol === PROTOCOL_VERSION) {
      if (typeof reply.family !== 'string' || !reply.family) throw new StreamFault('sent a malformed hello: hello.family: expected a family name');
      this.family = reply.family;
    } else {
      throw new StreamFault(`speaks protocol ${JSON.stringify(protocol)}, the suite speaks ${ACCEPTED_PROTOCOLS.join(' or ')}`);
    }
    this.protocol = protocol;
    try {
      this.info = this.options.decodeHello(this.family, reply.info);
    } catch (err) {
      throw new StreamFault(`sent a malformed hello: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async reset(): Promise<void> {
    await this.call({ id: this.nextId++, type: 'reset' }, 'reset');
  }

  async execute(ops: readonly O[]): Promise<unknown[]> {
    const results: unknown[] = [];
    for (let i = 0; i < ops.length; i += MAX_BATCH) {
      const batch = ops.slice(i, i + MAX_BATCH);
      const message: Request = { id: this.nextId++, type: 'execute', ops: batch.map((op) => this.options.encodeOp(op)) };
      const sent = this.channel.dead ? i : i + batch.length;
      let reply: Record<string, unknown>;
      try {
        reply = await this.call(message, 'results');
      } catch (err) {
        throw err instanceof StreamFault ? new StreamFault(err.message, sent) : err;
      }
      const got = reply.results;
      if (!Array.isArray(got)) throw this.fault('sent results that are not an array', sent);
      if (got.length !== batch.length) {
        const where = ops.length > batch.length ? ` (operations ${i + 1} to ${sent} of ${ops.length})` : '';
        throw this.fault(`returned ${plural(got.length, 'result', 'results')} for ${plural(batch.length, 'operation', 'operations')}${where}`, sent);
      }
      results.push(...got);
    }
    return results;
  }

  /** A fault found in a reply: the channel dies with it. */
  private fault(why: string, sent?: number): StreamFault {
    this.channel.die(why);
    return new StreamFault(why, sent);
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
    return checkEnvelope(await this.channel.request(message), message.id, type);
  }
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const errorText = (message: unknown): string => (typeof message === 'string' ? message : JSON.stringify(message));

/** A reply's envelope: an object with the expected id and type; an error reply is a fault. */
function checkEnvelope(v: unknown, id: number, type: string): Record<string, unknown> {
  if (!isRecord(v)) throw new StreamFault(`sent a reply to request ${id} that is not a JSON object`);
  if (v.id !== id) throw new StreamFault(`reply out of order: expected id ${id}, got ${JSON.stringify(v.id)}`);
  if (v.type === 'error') throw new StreamFault(`backend reported an error: ${errorText(v.message)}`);
  if (v.type !== type) throw new StreamFault(`reply to request ${id}: expected type "${type}", got ${JSON.stringify(v.type)}`);
  return v;
}

export async function execBackend<O extends { op: string }, I extends PeerInfo>(command: string, options: StreamOptions<O, I>): Promise<StreamBackendHandle<O, I>> {
  let child: ChildProcess;
  try {
    child = spawn(command, { shell: true, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    throw new StreamFault(`cannot start: ${(err as Error).message}`);
  }
  const channel = new LineChannel(child.stdout!, child.stdin!, options.timeoutMs, child.stderr);
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

export async function unixBackend<O extends { op: string }, I extends PeerInfo>(path: string, options: StreamOptions<O, I>): Promise<StreamBackendHandle<O, I>> {
  const socket = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (err) => reject(new StreamFault(`cannot connect to ${path}: ${err.message}`)));
  });
  const channel = new LineChannel(socket, socket, options.timeoutMs);
  const backend = new StreamBackend(channel, options, () => socket.destroy());
  try {
    await backend.hello();
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return backend;
}
