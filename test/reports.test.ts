// A gate that cannot lie: results reach the disk as they happen, survive signals and early
// exits, stay well-formed whatever a backend says, and every way of ending a run has its exit
// status and leaves reports that say what was and was not run.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { junitXml, runReport, reportOptions, tapReport } from '../harness/report.ts';
import { planPairs, shardPairs, type BackendReport } from '../harness/suite.ts';
import { cli, noStackTrace, Running, scratch } from './support/cli.ts';
import { checkWellFormed } from './support/xml.ts';

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const events = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
const hangingPeer = `exec:${process.execPath} test/fixtures/bad-peer.mjs hang`;
const noisyPeer = `exec:${process.execPath} test/fixtures/noisy-peer.mjs`;
/** Every C0 control but tab and line feed, DEL and the C1 controls: what a terminal acts on. */
/** Waits until `ready` holds for the directory's names and no write is half done in it. */
async function settled(dir: string, ready: (names: string[]) => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const names = readdirSync(dir);
    if (ready(names) && !names.some((f) => f.endsWith('.tmp'))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${dir} did not settle`);
}
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('results reach the disk as they happen', () => {
  test('a run killed outright keeps every property it finished: reports and event log', async () => {
    const dir = scratch();
    const r = new Running(['run', '--runs', '3', '--backend', 'sim-type1', '--backend', hangingPeer, '--timeout', '600', '--cases', join(dir, 'cases'),
      '--json', join(dir, 'r.json'), '--junit', join(dir, 'r.xml'), '--tap', join(dir, 'r.tap'), '--events', join(dir, 'e.jsonl')]);
    await r.stderrMatches(/a peer that misbehaves/); // sim-type1 is done; the peer hangs on its first case
    // The kill lands while the peer hangs, not while the start of the peer is being written:
    // a SIGKILL in the middle of a write can leave its temporary file, and that is not this test.
    await settled(dir, (names) => names.includes('e.jsonl') && events(join(dir, 'e.jsonl')).filter((e) => e.event === 'backend').length === 2);
    r.child.kill('SIGKILL');
    await r.done;
    const report = json(join(dir, 'r.json'));
    expect(report.finished).toBe(false);
    expect(report.backends[0].properties.map((p: { status: string }) => p.status)).toEqual(Array(9).fill('pass'));
    checkWellFormed(readFileSync(join(dir, 'r.xml'), 'utf8'));
    expect(readFileSync(join(dir, 'r.xml'), 'utf8').match(/<testcase /g)).toHaveLength(9);
    expect(readFileSync(join(dir, 'r.tap'), 'utf8')).toMatch(/^ok 8 - sim-type1: lifecycle$/m);
    const log = events(join(dir, 'e.jsonl'));
    expect(log.map((e) => e.event)).toEqual(['start', 'backend', ...Array(9).fill('property'), 'backend']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no half-written file left
  });
});

describe('signals end the run after the current step, with reports that say so', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    test(`${signal}: exit ${code}, the summary, and the properties not run recorded as skipped`, async () => {
      const dir = scratch();
      const r = new Running(['run', '--runs', '1000000', '--backend', 'sim-type1', '--backend', 'sim-type1-v1', '--cases', join(dir, 'cases'),
        '--json', join(dir, 'r.json'), '--junit', join(dir, 'r.xml'), '--events', join(dir, 'e.jsonl')]);
      await r.stderrMatches(/^sim-type1: /m);
      r.child.kill(signal);
      const ended = await r.done;
      expect(ended.status, ended.stderr).toBe(code);
      expect(ended.stdout).toMatch(new RegExp(`^vfio-conform: 0 passed, 0 failed, 18 skipped \\(interrupted by ${signal}\\)$`, 'm'));
      const report = json(join(dir, 'r.json'));
      expect([report.finished, report.interrupted, report.totals.skipped]).toEqual([true, signal, 18]);
      const [first, ...rest] = report.backends.flatMap((b: BackendReport) => b.properties);
      expect(first.reason).toMatch(/^interrupted after \d+ of 1000000 cases$/);
      expect(new Set(rest.map((p: { reason: string }) => p.reason))).toEqual(new Set([`not run: interrupted by ${signal}`]));
      const xml = readFileSync(join(dir, 'r.xml'), 'utf8');
      checkWellFormed(xml);
      expect(xml).toContain(`<property name="interrupted" value="${signal}"/>`);
      expect(xml.match(/<skipped /g)).toHaveLength(18);
      const log = events(join(dir, 'e.jsonl'));
      expect(log.find((e) => e.event === 'interrupted')).toEqual({ event: 'interrupted', signal });
      expect(log.at(-1)).toMatchObject({ event: 'end', interrupted: signal, exit: code });
    });
  }

  test('a second SIGINT quits at once, even with a backend that hangs, and the reports are final', async () => {
    const dir = scratch();
    const r = new Running(['run', '--runs', '3', '--backend', hangingPeer, '--backend', 'sim-type1', '--timeout', '600', '--cases', join(dir, 'cases'),
      '--json', join(dir, 'r.json'), '--tap', join(dir, 'r.tap')]);
    await r.stderrMatches(/a peer that misbehaves/);
    r.child.kill('SIGINT');
    await r.stderrMatches(/SIGINT: stopping after the current case/);
    r.child.kill('SIGINT');
    const ended = await r.done;
    expect(ended.status).toBe(130);
    expect(ended.stdout).toMatch(/^vfio-conform: 0 passed, 0 failed, 18 skipped \(interrupted by SIGINT\)$/m);
    const report = json(join(dir, 'r.json'));
    expect([report.finished, report.interrupted, report.totals]).toEqual([true, 'SIGINT', { passed: 0, failed: 0, skipped: 18, errors: 0 }]);
    const tap = readFileSync(join(dir, 'r.tap'), 'utf8');
    expect(tap).toMatch(/^1\.\.18\nBail out! interrupted by SIGINT\n$/m);
  });
});

describe('output paths are checked before anything runs', () => {
  const cases: [string, (dir: string) => string[], RegExp][] = [
    ['--json under a regular file', (d) => ['--json', join(d, 'file', 'r.json')], /^vfio-conform: --json .*file\/r\.json: .*file is not a directory$/],
    ['--junit two levels under a regular file', (d) => ['--junit', join(d, 'file', 'sub', 'r.xml')], /^vfio-conform: --junit .*: .*file is not a directory$/],
    ['--cases under /proc', () => ['--cases', '/proc/vfio-conform/cases'], /^vfio-conform: --cases \/proc\/vfio-conform\/cases: cannot create files in \/proc/],
    ['--events under /proc', () => ['--events', '/proc/e.jsonl'], /^vfio-conform: --events \/proc\/e\.jsonl: cannot create files in \/proc/],
    ['--json naming a directory', (d) => ['--json', d], /^vfio-conform: --json .*: is a directory$/],
    ['--tap and --json naming one file', (d) => ['--json', join(d, 'r'), '--tap', join(d, 'r')], /^vfio-conform: --tap .*: --json writes the same file$/],
  ];
  for (const [name, args, message] of cases) {
    test(name, () => {
      const dir = scratch();
      writeFileSync(join(dir, 'file'), '');
      const r = cli(['run', '--runs', '1', '--backend', 'sim-type1', '--cases', join(dir, 'cases'), ...args(dir)], { timeout: 60_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(r.stdout).toBe(''); // nothing ran
      expect(readdirSync(dir)).toEqual(['file']);
    });
  }
});

describe('whatever a backend says, reports stay well-formed and the terminal gets no escape sequence', () => {
  test('a backend with control characters in its description and last words on stderr', () => {
    const dir = scratch();
    const r = cli(['run', '--runs', '2', '--backend', noisyPeer, '--backend', 'sim-type1', '--rules', 'T1-MAP-*', '--cases', join(dir, 'cases'),
      '--json', join(dir, 'r.json'), '--junit', join(dir, 'r.xml'), '--tap', join(dir, 'r.tap'), '--events', join(dir, 'e.jsonl')]);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toContain('its last words on stderr: agent: \\x1b[31mred\\x1b[0m');
    const xml = readFileSync(join(dir, 'r.xml'), 'utf8');
    checkWellFormed(xml);
    expect(xml).toContain('NUL\\x00 bell\\x07');
    expect(readFileSync(join(dir, 'r.tap'), 'utf8')).not.toMatch(CONTROL);
    // JSON keeps the exact text (escaped as JSON does); not-run properties are there, as skipped.
    const report = json(join(dir, 'r.json'));
    expect(report.backends[0].description).toContain('\u001b[31mred');
    expect(report.backends[0].properties.map((p: { status: string }) => p.status)).toEqual(['error', 'skip']);
    expect(report.backends[0].properties[1].reason).toBe('not run: the backend faulted in map-validation');
    expect(events(join(dir, 'e.jsonl')).filter((e) => e.event === 'fault')).toHaveLength(1);
  });

  test('every character a message may hold, in every place of a JUnit report', () => {
    const all = Array.from({ length: 0x100 }, (_, i) => String.fromCharCode(i)).join('') + '\ud800 \udc00 \ufffe\uffff <&"\'> ]]> \u{1f600}';
    const backends: BackendReport[] = [
      { backend: all, family: null, description: all, profile: null, error: all, skipped: null, properties: [] },
      { backend: 'b', family: 'type1', description: all, profile: 'type1v2', error: null, skipped: null, properties: [
        { property: all, status: 'error', message: all, case: null },
        { property: 'p', status: 'skip', reason: all },
        { property: 'q', status: 'fail', runs: 1, rule: all, step: 0, case: all, ops: 1, shrunkFrom: 1 },
      ] },
      { backend: 'c', family: null, description: '', profile: null, error: null, skipped: all, properties: [] },
    ];
    const options = reportOptions({ backends: ['a'], family: null, seed: 1, runs: 1, maxOps: 1, rules: [], casesDir: 'cases' });
    const report = runReport(options, backends, true, all);
    checkWellFormed(junitXml(report));
    expect(tapReport(report)).not.toMatch(CONTROL);
  });
});

describe('conventions', () => {
  test('--bail stops at the first failure; what was not run is in the reports, as skipped', () => {
    const dir = scratch();
    const r = cli(['run', '--bail', '--runs', '5', '--backend', 'sim-type1~unmap-stale-tail', '--backend', 'sim-type1', '--cases', join(dir, 'cases'), '--json', join(dir, 'r.json')]);
    expect(r.status).toBe(1);
    const report = json(join(dir, 'r.json'));
    const [mutant, good] = report.backends;
    const statuses: string[] = mutant.properties.map((p: { status: string }) => p.status);
    const failed = statuses.indexOf('fail');
    expect(failed).toBeGreaterThanOrEqual(0);
    expect(statuses.slice(0, failed).every((s) => s === 'pass')).toBe(true);
    const reason = `not run: --bail after the failure of ${mutant.properties[failed].property} on sim-type1~unmap-stale-tail`;
    expect(mutant.properties.slice(failed + 1).map((p: { reason: string }) => p.reason)).toEqual(Array(8 - failed).fill(reason));
    expect([good.skipped, good.properties.length, good.properties[0].reason]).toEqual([reason, 9, reason]);
    expect(report.totals).toEqual({ passed: failed, failed: 1, skipped: 17 - failed, errors: 0 });
  });

  test('--seed random says the seed it picked and records it: the run repeats with --seed N', () => {
    const dir = scratch();
    const args = ['run', '--runs', '3', '--backend', 'sim-type1~charge-once', '--rules', 'T1-INFO-*', '--cases', join(dir, 'cases')];
    const random = cli([...args, '--seed', 'random', '--json', join(dir, 'a.json')]);
    const seed = Number(/picked seed (\d+) \(the same run again: --seed \1\)/.exec(random.stderr)?.[1]);
    expect(json(join(dir, 'a.json')).options.seed).toBe(seed);
    cli([...args, '--seed', String(seed), '--json', join(dir, 'b.json')]);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe(readFileSync(join(dir, 'b.json'), 'utf8'));
  });

  test('--duration is a budget per property over the same sequence of cases: with --runs as a cap, the same results', () => {
    const dir = scratch();
    const args = ['run', '--backend', 'sim-type1~charge-once', '--rules', 'T1-INFO-*', '--cases', join(dir, 'cases')];
    cli([...args, '--runs', '7', '--json', join(dir, 'runs.json')]);
    cli([...args, '--runs', '7', '--duration', '100000', '--json', join(dir, 'capped.json')]);
    const [byRuns, capped] = [json(join(dir, 'runs.json')), json(join(dir, 'capped.json'))];
    expect(capped.options.duration).toBe(100000);
    expect(capped.backends).toEqual(byRuns.backends);
    const timed = cli([...args, '--duration', '1', '--json', join(dir, 'timed.json')]);
    const report = json(join(dir, 'timed.json'));
    expect([timed.status, report.options.runs, report.options.duration]).toEqual([1, null, 1]);
    for (const p of report.backends[0].properties) expect(p.runs).toBeGreaterThan(0);
  });

  test('--shard i/n splits the (backend, property) pairs round-robin; merge gives the report of the whole run', () => {
    const dir = scratch();
    const args = ['run', '--runs', '5', '--backend', 'sim-type1', '--backend', 'sim-type1~charge-once', '--backend', 'sim-type1-v1',
      '--rules', 'T1-INFO-*', '--rules', 'T1-ACCT-*', '--cases', join(dir, 'cases')];
    const whole = cli([...args, '--json', join(dir, 'whole.json'), '--junit', join(dir, 'whole.xml')]);
    expect(whole.status).toBe(1);
    const shards = [1, 2].map((i) => {
      const r = cli([...args, '--shard', `${i}/2`, '--json', join(dir, `s${i}.json`), '--tap', '-']);
      expect(r.stdout.split('\n')[0]).toBe('TAP version 14'); // stdout is TAP only; the summary went to stderr
      expect(r.stderr).toMatch(/^vfio-conform: \d+ passed/m);
      return json(join(dir, `s${i}.json`));
    });
    const counts = shards.map((s) => s.backends.reduce((n: number, b: BackendReport) => n + b.properties.length, 0));
    expect(counts).toEqual([6, 6]); // 12 pairs
    const merged = cli(['merge', '--json', join(dir, 'merged.json'), '--junit', join(dir, 'merged.xml'), '--tap', join(dir, 'merged.tap'), join(dir, 's2.json'), join(dir, 's1.json')]);
    expect(merged.status).toBe(1);
    expect(readFileSync(join(dir, 'merged.json'), 'utf8')).toBe(readFileSync(join(dir, 'whole.json'), 'utf8'));
    expect(readFileSync(join(dir, 'merged.xml'), 'utf8')).toBe(readFileSync(join(dir, 'whole.xml'), 'utf8'));
    const tap = readFileSync(join(dir, 'merged.tap'), 'utf8');
    expect(tap).toMatch(/^TAP version 14\n# vfio-conform [^\n]*, seed 1\n/);
    expect(tap).toMatch(/\n1\.\.12\n$/);
    expect(tap.match(/^(not )?ok \d+ - /gm)!.map((l) => Number(/\d+/.exec(l)![0]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

    const refused: [string[], RegExp][] = [
      [[join(dir, 's1.json')], /shards? 2\/2 missing/],
      [[join(dir, 's1.json'), join(dir, 's1.json')], /shard 1\/2 appears twice/],
      [[join(dir, 's1.json'), join(dir, 'whole.json')], /whole\.json is not the report of a shard/],
      [[join(dir, 'nope.json')], /nope\.json: no such file/],
    ];
    for (const [inputs, message] of refused) {
      const r = cli(['merge', '--json', join(dir, 'x.json'), ...inputs]);
      expect([r.status, r.stderr.trim()]).toEqual([2, expect.stringMatching(message)]);
    }
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });

  test('the pairs of shards are disjoint, cover the run, and alternate', () => {
    const options = { backends: ['sim-type1', 'sim-type1-v1', 'exec:x', 'sim-type1~charge-once'], family: null, rules: ['T1-INFO-*', 'T1-ACCT-*'] };
    const all = planPairs(options);
    expect(all).toHaveLength(16);
    const key = (p: { backend: number; property: string | null }) => `${p.backend} ${p.property}`;
    const parts = [1, 2, 3, 4, 5].map((index) => shardPairs({ ...options, shard: { index, count: 5 } }).map(key));
    expect(parts.flat().sort()).toEqual(all.map(key).sort());
    expect(parts.map((p) => p.length)).toEqual([4, 3, 3, 3, 3]);
    expect(parts[0]).toEqual([all[0], all[5], all[10], all[15]].map((p) => key(p!)));
  });

  test('exit status: a backend name that is neither bundled nor a path is a usage error (2) in run and replay; one that faults is 1', () => {
    const dir = scratch();
    const run = cli(['run', '--backend', 'nope', '--cases', join(dir, 'cases')]);
    expect([run.status, run.stderr.trim()]).toEqual([2, expect.stringMatching(/^vfio-conform: unknown backend "nope"/)]);
    const path = join(dir, 'c.case.json');
    writeFileSync(path, JSON.stringify({ format: 'vfio-conform/case', version: 2, family: 'type1', backend: 'sim-type1', ops: [{ op: 'getInfo' }] }));
    const replay = cli(['replay', path, '--backend', 'nope']);
    expect([replay.status, replay.stderr.trim()]).toEqual([2, expect.stringMatching(/^vfio-conform: unknown backend "nope"/)]);
    const faulty = cli(['replay', path, '--backend', `exec:${process.execPath} test/fixtures/bad-peer.mjs exit-early`]);
    expect([faulty.status, faulty.stderr.trim()]).toEqual([1, expect.stringMatching(/^vfio-conform: backend exec:.*exited with status 3$/)]);
    // Its properties can be listed as not run only when its family is named.
    const loadFault = cli(['run', '--family', 'type1', '--backend', `exec:${process.execPath} test/fixtures/bad-peer.mjs exit-early`, '--cases', join(dir, 'cases'), '--json', join(dir, 'r.json')]);
    expect(loadFault.status).toBe(1);
    const [backend] = json(join(dir, 'r.json')).backends;
    expect(backend.error).toMatch(/exited with status 3/);
    expect(backend.properties.map((p: { reason: string }) => p.reason)).toEqual(Array(9).fill('not run: the backend could not be loaded'));
  });
});

describe('a reader that goes away (`| head`) ends nothing early and hides no verdict', () => {
  test('rules with its output closed: exit 0, no trace', async () => {
    const r = await new Running(['rules'], { stdout: 'closed' }).done;
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  test('a failing run with its output closed still fails, and writes its report', async () => {
    const dir = scratch();
    // The failing case is printed while properties remain to be run.
    const r = await new Running(['run', '--runs', '5', '--backend', 'sim-type1~unmap-stale-tail', '--cases', join(dir, 'cases'), '--json', join(dir, 'r.json')], { stdout: 'closed' }).done;
    expect(r.status).toBe(1);
    expect(noStackTrace(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/^  PASS  lifecycle|^  FAIL  lifecycle/m); // it ran to the end
    expect(json(join(dir, 'r.json')).totals.failed).toBeGreaterThan(0);
  });

  test('a passing run with its progress output closed still passes', async () => {
    const dir = scratch();
    const r = await new Running(['run', '--runs', '2', '--backend', 'sim-type1', '--rules', 'T1-INFO-*', '--cases', join(dir, 'cases')], { stderr: 'closed' }).done;
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^vfio-conform: 3 passed, 0 failed, 0 skipped$/m);
  });
});
