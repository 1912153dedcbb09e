// Out-of-process backends: the suite runs through the protocol of spec/protocol.md, and every
// way a peer can break it is reported as exactly that, with a case file, never a hang.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { execBackend, StreamFault, unixBackend, type PeerInfo, type StreamOptions } from '../harness/stream-backend.ts';
import { killAll, leftovers, newMarker, until } from './fixtures/processes.ts';
import { scratch } from './support/cli.ts';

const root = new URL('..', import.meta.url).pathname;
const badPeer = join(root, 'test/fixtures/bad-peer.mjs');
const peerCommand = (mode: string) => `"${process.execPath}" "${badPeer}" ${mode}`;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const serve = (name: string) => `exec:${process.execPath} --import tsx harness/cli/main.ts serve --backend ${name}`;

describe('protocol: the suite through a pipe', () => {
  test('the bundled simulator served over stdio conforms, and a served mutant is caught', () => {
    const dir = scratch('vfio-conform-stream-');
    const good = cli('run', '--runs', '10', '--backend', serve('sim-type1'), '--cases', dir);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^vfio-conform: 9 passed, 0 failed, 0 skipped$/m);
    const r = cli('run', '--runs', '10', '--backend', serve('sim-type1~charge-once'), '--rules', 'T1-ACCT-PER-MAPPING', '--cases', dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('VIOLATION T1-ACCT-PER-MAPPING on sim-type1~charge-once');
    const file = readdirSync(dir).find((f) => f.startsWith('sim-type1~charge-once') && f.endsWith('.case.json'))!;
    const replay = cli('replay', join(dir, file), '--backend', serve('sim-type1~charge-once'));
    expect(replay.stdout).toMatch(/reproduced: T1-ACCT-PER-MAPPING/);
  });
});

describe('protocol faults are reported as such', () => {
  const peer = (mode: string) => `exec:${process.execPath} test/fixtures/bad-peer.mjs ${mode}`;
  const faults: [string, RegExp][] = [
    ['crash', /exited with status 139 \(its last words on stderr: agent: segmentation fault in map\)/],
    ['hang', /no reply to "execute" within 2 s/],
    ['garbage', /sent a line that is not JSON: this is not json/],
    ['out-of-order', /reply out of order: expected id \d+, got \d+/],
    ['short', /returned 1 result for \d+ operations/],
    ['long', /returned \d+ results for \d+ operations/],
    ['error', /backend reported an error: VFIO_IOMMU_MAP_DMA: unexpected state/],
  ];
  for (const [mode, message] of faults) {
    test(mode, () => {
      const dir = scratch('vfio-conform-fault-');
      // Only the hanging peer is meant to hit the timeout; the others get slack for a loaded machine.
      const timeout = mode === 'hang' ? '2' : '30';
      const r = cli('run', '--runs', '3', '--timeout', timeout, '--backend', peer(mode), '--backend', 'sim-type1', '--cases', dir);
      expect(r.status).toBe(1);
      expect(r.stderr + r.stdout).toMatch(message);
      expect(r.stdout).toMatch(/^vfio-conform: 9 passed, 1 failed, 8 skipped$/m); // the 8 not run after the fault
      expect(readdirSync(dir).some((f) => f.startsWith(`bad-peer-${mode}`))).toBe(true);
    });
  }

  for (const [mode, message] of [['bad-hello', /malformed hello: hello\.info\.geometry\./], ['exit-early', /exited with status 3/]] as const) {
    test(`${mode}: the backend cannot be loaded`, () => {
      const r = cli('run', '--runs', '3', '--backend', peer(mode));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });
  }

  test('exits with status 0 after its hello, having stopped reading: that status, never a broken pipe', () => {
    // `exec` makes the peer the only reader of its input: a write to it fails before it exits.
    const r = cli('run', '--runs', '3', '--backend', `exec:exec ${process.execPath} test/fixtures/bad-peer.mjs exit-after-hello`);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/ERROR map-validation +backend bad-peer-exit-after-hello exited with status 0$/m);
    expect(r.stdout + r.stderr).not.toMatch(/EPIPE/);
  });

  test('a missing program: the shell\'s status 127 and its message, never a broken pipe', () => {
    // Whether the suite's first write or the shell's exit comes first is a race: try it often.
    const missing = Array.from({ length: 30 }, () => ['--backend', 'exec:/nonexistent/vfio-conform-backend']).flat();
    const r = cli('run', '--runs', '1', ...missing);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/EPIPE/);
    const lines = r.stderr.match(/^vfio-conform: backend exec:\S+: exited with status 127 \(its last words on stderr: .*\/nonexistent\/vfio-conform-backend: not found\)$/gm);
    expect(lines).toHaveLength(30);
  });
});

describe('Ctrl-C in the terminal', () => {
  test('stops the run after the case under way; the backend, in a process group of its own, is not hit', async () => {
    const dir = scratch('vfio-conform-ctrl-c-');
    // The run is the terminal's foreground process group: Ctrl-C signals every process in it.
    const run = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'run', '--runs', '100000', '--backend', serve('sim-type1'), '--cases', dir],
      { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (d) => { stdout += d; });
    run.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => run.on('close', (code) => resolve(code)));
    await until(() => stderr.includes('sim-type1'));
    process.kill(-run.pid!, 'SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/^vfio-conform: \d+ passed, 0 failed, \d+ skipped \(interrupted by SIGINT\)$/m);
    expect(stderr + stdout).not.toMatch(/killed by SIGINT|exited with status/);
  });
});

/** Retries `connect` while the server is not listening yet. */
async function untilListening<T>(connect: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      if (attempt > 200) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('execBackend and unixBackend speak the protocol without knowing the family', () => {
  const families: string[] = [];
  const options: StreamOptions = {
    timeoutMs: 30_000,
    encodeOp: (op) => ({ ...op }),
    decodeHello: (family, info) => {
      families.push(family);
      if (typeof info !== 'object' || info === null || (info as { geometry?: { iovaRanges?: unknown } }).geometry?.iovaRanges === undefined) {
        throw new Error('hello.info.geometry.iovaRanges: expected an array');
      }
      return info as PeerInfo;
    },
  };
  const ops = (n: number) => Array.from({ length: n }, (_, i) => ({ op: 'noop', i }));

  test('a protocol 2 peer names its family; decodeHello gets it with the raw info', async () => {
    families.length = 0;
    const backend = await execBackend(peerCommand('good'), options);
    expect([backend.protocol, backend.family, backend.info.name]).toEqual([2, 'type1', 'bad-peer-good']);
    expect(families).toEqual(['type1']);
    await backend.reset();
    expect(await backend.execute(ops(600))).toEqual(ops(600).map(() => ({ ok: true })));
    await backend.dispose();
  });

  test('a protocol 1 peer refuses the protocol 2 hello, is offered protocol 1 and is family type1', async () => {
    families.length = 0;
    const backend = await execBackend(peerCommand('v1'), options);
    expect([backend.protocol, backend.family]).toEqual([1, 'type1']);
    expect(families).toEqual(['type1']);
    await backend.dispose();
  });

  test('the family is whatever the peer names: the caller decides what it means', async () => {
    families.length = 0;
    const backend = await execBackend(peerCommand('family'), options);
    expect(backend.family).toBe('other');
    expect(families).toEqual(['other']);
    await backend.dispose();
  });

  test('a hello that decodeHello rejects is a fault with its one-line message', async () => {
    await expect(execBackend(peerCommand('bad-hello'), options)).rejects.toThrow(
      new StreamFault('sent a malformed hello: hello.info.geometry.iovaRanges: expected an array'));
  });

  test('unix: a peer on a socket says hello in protocol 2 and executes batches', async () => {
    const path = join(scratch('vfio-conform-sock-'), 'peer.sock');
    const server = spawn(process.execPath, [badPeer, 'good', '--listen', path], { stdio: 'ignore' });
    try {
      const backend = await untilListening(() => unixBackend(path, options));
      expect([backend.protocol, backend.family]).toEqual([2, 'type1']);
      await backend.reset();
      expect(await backend.execute(ops(300))).toHaveLength(300);
      await backend.dispose();
    } finally {
      server.kill();
    }
  });
});

describe('a faulty exec: peer gets one clear line, and none of its processes outlives it', () => {
  const marker = newMarker();
  afterEach(() => killAll(marker));
  const options = (timeoutMs = 30_000): StreamOptions => ({ timeoutMs, encodeOp: (op) => ({ ...op }), decodeHello: (_, info) => info as PeerInfo });
  /** The peer as its own command, or behind a shell that stays its parent. */
  const command = (mode: string, flags = '', shell = false) =>
    `${shell ? `cd "${root}" && ` : ''}${peerCommand(mode)} --marker ${marker} ${flags}`;
  const ops = (n: number) => Array.from({ length: n }, (_, i) => ({ op: 'noop', i }));
  async function fault(work: Promise<unknown>): Promise<StreamFault> {
    const err = await work.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StreamFault);
    return err as StreamFault;
  }

  test('hangs, ignoring SIGTERM, with a helper sharing its pipes: a timeout, then the whole group ends', async () => {
    const backend = await execBackend(command('hang', '--stubborn --helper', true), options(5000));
    await backend.reset();
    expect((await fault(backend.execute(ops(3)))).message).toBe('no reply to "execute" within 5 s');
    await backend.dispose();
    expect(await leftovers(marker)).toEqual([]);
  });

  test('closes its output and lives on: reported as that, not as a timeout, and ended', async () => {
    const backend = await execBackend(command('close-stdout', '--stubborn'), options(20_000));
    await backend.reset();
    expect((await fault(backend.execute(ops(3)))).message).toBe('closed its output');
    await backend.dispose();
    expect(await leftovers(marker)).toEqual([]);
  });

  test('crashes mid-batch: its exit status and last words; its helper ends too', async () => {
    const backend = await execBackend(command('crash', '--helper', true), options());
    await backend.reset();
    expect((await fault(backend.execute(ops(3)))).message).toBe('exited with status 139 (its last words on stderr: agent: segmentation fault in map)');
    await backend.dispose();
    expect(await leftovers(marker)).toEqual([]);
  });

  test('exits with status 0 after its hello, having stopped reading: that status, never a broken pipe', async () => {
    const backend = await execBackend(`exec ${command('exit-after-hello')}`, options());
    expect((await fault(backend.reset())).message).toBe('exited with status 0');
    await backend.dispose();
  });

  test('floods stderr with terminal escapes: one line of at most ~200 characters is quoted, control characters escaped', async () => {
    const backend = await execBackend(command('noisy'), options());
    await backend.reset();
    const { message } = await fault(backend.execute(ops(3)));
    expect(message).toMatch(/^exited with status 139 \(its last words on stderr: agent: \\x1b\[31mfatal\\x1b\[0m \\x07\\x08\\x0d\\x1b\]0;pwned/);
    expect(message).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(message.length).toBeLessThan(300);
    await backend.dispose();
  });

  test('sends an endless line: a fault at 64 MiB, not unbounded memory', async () => {
    const backend = await execBackend(command('endless', '--stubborn'), options(20_000));
    await backend.reset();
    expect((await fault(backend.execute(ops(3)))).message).toBe('sent a line longer than 64 MiB');
    await backend.dispose();
    expect(await leftovers(marker)).toEqual([]);
  });

  test('answers with one result too many: a fault that says how many operations were sent', async () => {
    const backend = await execBackend(command('long'), options());
    await backend.reset();
    const err = await fault(backend.execute(ops(40)));
    expect([err.message, err.sent]).toEqual(['returned 41 results for 40 operations', 40]);
    await backend.dispose();
  });

  test('answers a later batch short: the count is the batch\'s, and the fault says how many operations were sent', async () => {
    const backend = await execBackend(command('short-later'), options());
    await backend.reset();
    const err = await fault(backend.execute(ops(698)));
    expect([err.message, err.sent]).toEqual(['returned 1 result for 256 operations (operations 257 to 512 of 698)', 512]);
    await backend.dispose();
  });

  test('unix: a peer that goes away mid-batch closed the connection, and every later request says so', async () => {
    const path = join(scratch('vfio-conform-sock-'), 'peer.sock');
    const server = spawn(process.execPath, [badPeer, 'crash', '--listen', path, '--marker', marker], { stdio: 'ignore' });
    const backend = await untilListening(() => unixBackend(path, options()));
    await backend.reset();
    expect((await fault(backend.execute(ops(3)))).message).toBe('closed the connection');
    expect((await fault(backend.reset())).message).toBe('closed the connection');
    await backend.dispose();
    server.kill();
  });

  test('crashes in the first batch of three: 256 operations were sent', async () => {
    const backend = await execBackend(command('crash'), options());
    await backend.reset();
    expect((await fault(backend.execute(ops(698)))).sent).toBe(256);
    await backend.dispose();
  });
});
