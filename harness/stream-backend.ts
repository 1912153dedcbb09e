// Backends in other processes: `exec:COMMAND` (stdio) and `unix:PATH` (a socket), speaking
// the JSON-lines protocol of spec/protocol.md.
//
// Every way such a backend can go wrong (it exits, closes the stream, hangs, answers garbage or
// out of order, too much or too little) ends the pending request with a StreamFault that says
// which in one line, so the harness reports it and moves on instead of hanging or crashing.
// Whatever the peer wrote is quoted at most QUOTE_CHARS long with its control characters
// escaped, so nothing raw from it reaches a terminal or a report.
//
// An exec backend runs in a process group of its own (and a session of its own, so that Ctrl-C
// in the terminal reaches the harness only). When it faults, times out, closes its output, is
// disposed, or when the harness exits or is killed by a signal, the whole group is ended
// (SIGTERM, then SIGKILL after KILL_GRACE_MS): no helper it started outlives the run, even one
// that ignores SIGTERM and holds the pipes.
//
// This module knows the protocol, not the operation families: what an operation looks like on
// the wire and what a hello's `info` means are the caller's (`StreamOptions`).
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { ACCEPTED_PROTOCOLS, MAX_BATCH, PROTOCOL_1_FAMILY, PROTOCOL_VERSION, type Request } from '../spec/protocol.ts';
import { SUITE_VERSION } from './version.ts';

/** The longest line a peer may send; a batch's results take far less. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** The most characters of a peer's own text (a stderr line, a line that is not JSON, an error message) a fault quotes. */
export const QUOTE_CHARS = 200;
/** How long an exec backend has to exit on its own: after bye, or after its output or input closed. */
const EXIT_GRACE_MS = 1000;
/** How long a process group has between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 1000;

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
   * request, not a case nor a run: a case of many batches may take longer in all, and a peer
   * that answers every request in time is never cut off. A peer that does not answer in time is
   * a fault, and an exec backend's process group is ended.
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
  /** Rejects with a StreamFault when the peer faults. */
  reset(): Promise<void>;
  /**
   * Raw wire results, exactly one per operation, in order: the caller decodes and validates
   * each one. Rejects with a StreamFault, whose `sent` says how many operations the peer got,
   * when the peer faults or answers a batch with more or fewer results than operations.
   */
  execute(ops: readonly O[]): Promise<unknown[]>;
  /** Says goodbye and ends the peer (for an exec backend, its whole process group); never throws. */
  dispose(): Promise<void>;
}

/**
 * Peer text made fit for one line of a terminal or a report: control characters (C0, DEL, C1,
 * so every escape sequence) become \xNN, line and paragraph separators and bidirectional
 * controls become \u{NNNN}, and it is cut at about `max` characters, marked with "...".
 */
export function quote(text: string, max = QUOTE_CHARS): string {
  let out = '';
  for (const ch of text.trim()) {
    const cp = ch.codePointAt(0)!;
    const shown = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ? `\\x${cp.toString(16).padStart(2, '0')}`
      : /[\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]/u.test(ch) ? `\\u{${cp.toString(16)}}`
      : ch;
    if (out.length + shown.length > max) return `${out}...`;
    out += shown;
  }
  return out;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The last non-empty line a peer wrote on stderr, kept short however much it writes. */
class LastWords {
  private last = '';
  private current = '';
  private static readonly KEEP = 2 * QUOTE_CHARS;

  push(chunk: string): void {
    const pieces = chunk.split('\n');
    pieces.forEach((piece, i) => {
      if (i > 0) {
        if (this.current.trim()) this.last = this.current;
        this.current = '';
      }
      if (this.current.length < LastWords.KEEP) this.current += piece.slice(0, LastWords.KEEP - this.current.length);
    });
  }

  /** ` (its last words on stderr: ...)`, or nothing when it wrote none. */
  suffix(): string {
    const line = this.current.trim() ? this.current : this.last;
    return line.trim() ? ` (its last words on stderr: ${quote(line)})` : '';
  }
}

type Pending = { resolve: (reply: unknown) => void; reject: (err: StreamFault) => void; timer: NodeJS.Timeout };

/** One request at a time over a line-oriented stream; the transport reports how the stream ends. */
class LineChannel {
  private parts: Buffer[] = [];
  private size = 0;
  private pending: Pending | null = null;
  /** Why the channel can no longer be used; null while it can. */
  dead: string | null = null;

  constructor(
    input: Readable,
    private readonly output: Writable,
    private readonly timeoutMs: number,
    /** Ends the peer after a fault; its last words on stderr, if it has a stderr. */
    private readonly peer: { end(): void; lastWords?(): string },
  ) {
    input.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Ends the channel with a fault: the pending request and every later one fail with `why`. Returns the message. */
  die(why: string): string {
    if (this.dead) return this.dead;
    this.dead = why + (this.peer.lastWords?.() ?? '');
    this.parts = [];
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(new StreamFault(this.dead));
    }
    this.peer.end();
    return this.dead;
  }

  /** Ends the channel without a fault (the backend was disposed). */
  close(): void {
    if (!this.dead) this.dead = 'was disposed';
  }

  request(message: Request): Promise<unknown> {
    if (this.dead) return Promise.reject(new StreamFault(this.dead));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.die(`no reply to "${message.type}" within ${this.timeoutMs / 1000} s`), this.timeoutMs);
      this.pending = { resolve, reject, timer };
      try {
        this.output.write(JSON.stringify(message) + '\n');
      } catch {
        // A write to a peer that is gone fails with an 'error' event the transport handles.
      }
    });
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    while (!this.dead) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      if (this.size + nl - start > MAX_LINE_BYTES) break;
      const piece = chunk.subarray(start, nl);
      const line = (this.size ? Buffer.concat([...this.parts, piece]) : piece).toString('utf8');
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      this.onLine(line);
    }
    if (this.dead || start === chunk.length) return;
    this.parts.push(chunk.subarray(start));
    this.size += chunk.length - start;
    if (this.size > MAX_LINE_BYTES) this.die(`sent a line longer than ${MAX_LINE_BYTES / (1024 * 1024)} MiB`);
  }

  private onLine(line: string): void {
    const text = line.trim();
    if (!text) return;
    if (!this.pending) {
      this.die(`sent an unrequested line: ${quote(text)}`);
      return;
    }
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      this.die(`sent a line that is not JSON: ${quote(text)}`);
      return;
    }
    const p = this.pending;
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(reply);
  }
}

class StreamBackend<O extends { op: string }, I extends PeerInfo> implements StreamBackendHandle<O, I> {
  private nextId = 1;
  family!: string;
  protocol!: number;
  info!: I;

  constructor(
    private readonly channel: LineChannel,
    private readonly options: StreamOptions<O, I>,
    /** Ends the peer for good; resolves once it is gone. */
    private readonly end: () => Promise<void>,
  ) {}

  /** Offers each accepted protocol version, newest first, until the peer takes one. */
  async hello(): Promise<void> {
    let refusal = '';
    for (const version of ACCEPTED_PROTOCOLS) {
      const reply = await this.channel.request({ id: 0, type: 'hello', protocol: version, suite: SUITE_VERSION });
      if (isRecord(reply) && reply.id === 0 && reply.type === 'error') {
        refusal = quote(errorText(reply.message));
        continue; // a peer of an older protocol refuses a newer hello
      }
      this.accept(this.check(reply, 0, 'hello'));
      return;
    }
    throw this.fault(`refused every protocol the suite speaks (${ACCEPTED_PROTOCOLS.join(', ')}): ${refusal}`);
  }

  private accept(reply: Record<string, unknown>): void {
    const protocol = reply.protocol;
    if (protocol === 1) {
      this.family = PROTOCOL_1_FAMILY;
    } else if (protocol === PROTOCOL_VERSION) {
      const family = reply.family;
      if (typeof family !== 'string' || !/^[a-z0-9][\w.-]{0,63}$/i.test(family)) {
        throw this.fault(`sent a malformed hello: hello.family: expected a family name such as "type1", got ${quote(JSON.stringify(family) ?? 'none')}`);
      }
      this.family = family;
    } else {
      throw this.fault(`speaks protocol ${quote(JSON.stringify(protocol) ?? 'undefined')}, the suite speaks ${ACCEPTED_PROTOCOLS.join(' or ')}`);
    }
    this.protocol = protocol;
    try {
      this.info = this.options.decodeHello(this.family, reply.info);
    } catch (err) {
      throw this.fault(`sent a malformed hello: ${quote(err instanceof Error ? err.message : String(err), 2 * QUOTE_CHARS)}`);
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

  async dispose(): Promise<void> {
    if (!this.channel.dead) {
      try {
        await this.call({ id: this.nextId++, type: 'bye' }, 'bye');
      } catch {
        // A backend that cannot say goodbye is ended all the same.
      }
    }
    this.channel.close();
    await this.end();
  }

  /** A fault found in a reply: the channel dies with it and the peer is ended. */
  fault(why: string, sent?: number): StreamFault {
    return new StreamFault(this.channel.die(why), sent);
  }

  private async call(message: Request, type: string): Promise<Record<string, unknown>> {
    return this.check(await this.channel.request(message), message.id, type);
  }

  /** A reply's envelope: an object with the expected id and type; an error reply is a fault. */
  private check(v: unknown, id: number, type: string): Record<string, unknown> {
    if (!isRecord(v)) throw this.fault(`sent a reply to request ${id} that is not a JSON object`);
    if (v.id !== id) throw this.fault(`reply out of order: expected id ${id}, got ${quote(JSON.stringify(v.id) ?? 'none')}`);
    if (v.type === 'error') throw this.fault(`backend reported an error: ${quote(errorText(v.message))}`);
    if (v.type !== type) throw this.fault(`reply to request ${id}: expected type "${type}", got ${quote(JSON.stringify(v.type) ?? 'none')}`);
    return v;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const errorText = (message: unknown): string => (typeof message === 'string' ? message : JSON.stringify(message) ?? 'no message');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves when `promise` settles or after `ms`, whichever comes first, leaving no timer behind. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

// ---- process groups

/** The process groups of exec backends still running: ended when the harness exits or is killed by a signal. */
const liveGroups = new Set<ProcessGroup>();
const HOOKED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function onExit(): void {
  for (const group of liveGroups) group.signal('SIGKILL');
}

/**
 * A signal that nobody else handles would kill the harness and leave the groups running: end
 * them first, then let the signal do what it does by default. When the harness handles the
 * signal itself (a first Ctrl-C that stops the run gracefully), nothing is done here; if it then
 * exits, the exit hook ends the groups.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  void Promise.all([...liveGroups].map((group) => group.terminate())).finally(() => {
    unhook();
    process.kill(process.pid, signal);
  });
}

/**
 * Ends every backend process group now (SIGTERM, then SIGKILL): how a SIGTERM or SIGHUP to the
 * harness ends the step under way instead of waiting for a backend that may never answer.
 */
export function endPeers(): Promise<void> {
  return Promise.all([...liveGroups].map((group) => group.terminate())).then(() => {});
}

function hook(): void {
  if (liveGroups.size !== 1) return;
  process.on('exit', onExit);
  for (const signal of HOOKED_SIGNALS) process.on(signal, onSignal);
}

function unhook(): void {
  process.removeListener('exit', onExit);
  for (const signal of HOOKED_SIGNALS) process.removeListener(signal, onSignal);
}

/** The process group an exec backend leads. */
class ProcessGroup {
  private ending: Promise<void> | null = null;

  constructor(private readonly pgid: number) {
    liveGroups.add(this);
    hook();
  }

  /** Sends `signal` to every process of the group; false when none is left. */
  signal(signal: NodeJS.Signals | 0): boolean {
    try {
      process.kill(-this.pgid, signal);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'ESRCH';
    }
  }

  /** SIGTERM to the whole group, SIGKILL to what is left after KILL_GRACE_MS; resolves once it is empty. */
  terminate(): Promise<void> {
    this.ending ??= (async () => {
      if (this.signal('SIGTERM') && !(await this.gone(KILL_GRACE_MS))) {
        this.signal('SIGKILL');
        await this.gone(KILL_GRACE_MS);
      }
      liveGroups.delete(this);
      if (liveGroups.size === 0) unhook();
    })();
    return this.ending;
  }

  private async gone(ms: number): Promise<boolean> {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(20)) {
      if (!this.signal(0)) return true;
    }
    return !this.signal(0);
  }
}

/**
 * The line /bin/sh runs. A simple command (no operator, no subshell) gets `exec` before it, so
 * that the backend replaces the shell (dash does not do it on its own) and is the only process
 * holding the pipes: when it closes its output, the suite sees it. Anything else runs as given,
 * the shell staying the backend's parent; its process group is ended all the same.
 */
function shellLine(command: string): string {
  const first = /^\s*(\S+)/.exec(command)?.[1] ?? '';
  if (/[;&|()`\n]/.test(command) || first.includes('=') || ['exec', '!', '{'].includes(first)) return command;
  return `exec ${command}`;
}

/** What ended an exec backend's process: its status or signal. */
const exitText = (code: number | null, signal: NodeJS.Signals | null) => (signal ? `was killed by ${signal}` : `exited with status ${code}`);

export async function execBackend<O extends { op: string }, I extends PeerInfo>(command: string, options: StreamOptions<O, I>): Promise<StreamBackendHandle<O, I>> {
  let child: ChildProcess;
  try {
    child = spawn(shellLine(command), { shell: true, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    throw new StreamFault(`cannot start: ${quote((err as Error).message)}`);
  }
  const group = child.pid === undefined ? null : new ProcessGroup(child.pid);
  const stdin = child.stdin!;
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  const words = new LastWords();
  stderr.setEncoding('utf8');
  stderr.on('data', (chunk: string) => words.push(chunk));
  const ended = (stream: Readable) => new Promise<void>((resolve) => {
    if (stream.readableEnded || stream.destroyed) resolve();
    stream.once('close', resolve);
  });
  const terminate = () => group?.terminate() ?? Promise.resolve();
  const channel = new LineChannel(stdout, stdin, options.timeoutMs, { end: () => void terminate(), lastWords: () => words.suffix() });

  // The exit status wins over everything the streams say: an output that closes or an input
  // that fails (a broken pipe) is the peer exiting, unless it is still running EXIT_GRACE_MS later.
  let status: string | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    status = exitText(code, signal);
    resolve();
  }));
  void exited.then(async () => {
    if (channel.dead) return;
    void terminate(); // helpers it left behind
    await within(Promise.all([ended(stdout), ended(stderr)]), EXIT_GRACE_MS); // its last replies and words
    channel.die(status!);
  });
  const unlessExited = (why: string) => {
    if (channel.dead || status) return;
    void within(exited, EXIT_GRACE_MS).then(() => {
      if (!status) channel.die(why);
    });
  };
  stdout.on('end', () => unlessExited('closed its output'));
  stdout.on('error', (err) => unlessExited(`output failed: ${quote(err.message)}`));
  stdin.on('error', () => unlessExited('closed its input'));
  child.on('error', (err) => channel.die(`cannot start: ${quote(err.message)}`));

  const backend = new StreamBackend(channel, options, async () => {
    stdin.end();
    await within(exited, EXIT_GRACE_MS); // after bye, it exits on its own
    await terminate();
  });
  try {
    await backend.hello();
  } catch (err) {
    channel.close();
    await terminate();
    throw err;
  }
  return backend;
}

export async function unixBackend<O extends { op: string }, I extends PeerInfo>(path: string, options: StreamOptions<O, I>): Promise<StreamBackendHandle<O, I>> {
  const socket = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (err) => reject(new StreamFault(`cannot connect to ${quote(path)}: ${quote(err.message)}`)));
  });
  const channel = new LineChannel(socket, socket, options.timeoutMs, { end: () => socket.destroy() });
  socket.on('end', () => channel.die('closed the connection'));
  socket.on('error', (err: NodeJS.ErrnoException) =>
    channel.die(err.code === 'EPIPE' || err.code === 'ECONNRESET' ? 'closed the connection' : `connection failed: ${quote(err.message)}`));
  const backend = new StreamBackend(channel, options, async () => {
    socket.destroy();
  });
  try {
    await backend.hello();
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return backend;
}
