// Results on disk as they happen: an event log (JSON Lines, one line per event, appended as it
// happens) and the JSON, JUnit and TAP reports rewritten after every step with a rename, so a
// run that is killed leaves everything it finished, and a reader never sees half a file.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Subject } from './check.ts';
import { oneLine } from './check.ts';
import { writeFileAtomic } from './outputs.ts';
import { junitXml, jsonReport, runReport, tapHeader, tapTrailer, testPoints, type ReportOptions, type RunReport } from './report.ts';
import type { BackendReport } from './suite.ts';
import { visible } from './text.ts';

export interface RecorderOutputs {
  json?: string;
  junit?: string;
  /** A file, or `-` for standard output (written as it happens). */
  tap?: string;
  events?: string;
}

export class Recorder {
  private reports: readonly BackendReport[] = [];
  private interrupted: string | null = null;
  private finished = false;
  private readonly emitted = new Set<string>();
  /** Rendered TAP test points, in the order they were emitted. */
  private readonly tapPoints: string[] = [];
  private events: number | null = null;
  private readonly failures = new Map<string, string>();

  constructor(
    private readonly outputs: RecorderOutputs,
    private readonly options: ReportOptions,
    private readonly stdout: { write(text: string): unknown },
    private readonly warn: (line: string) => void,
  ) {}

  /** Opens the event log and writes the first snapshot of every report. */
  start(): void {
    if (this.outputs.events) {
      try {
        this.events = openSync(this.outputs.events, 'w');
      } catch (err) {
        this.failed(this.outputs.events, err);
      }
    }
    this.event({ event: 'start', suite: this.report().suite, options: this.options });
    if (this.outputs.tap === '-') this.stdout.write(tapHeader(this.report()).join('\n') + '\n');
    this.write();
  }

  backend(spec: string, subject: Subject | null): void {
    this.event(subject
      ? { event: 'backend', backend: spec, loaded: true, family: subject.family.id, name: subject.backend.info.name, profile: subject.backend.info.profile, description: subject.backend.info.description }
      : { event: 'backend', backend: spec, loaded: false });
  }

  /** The first signal: logged at once; the reports say so from now on. */
  signal(name: string): void {
    if (this.interrupted) return;
    this.interrupted = name;
    this.event({ event: 'interrupted', signal: name });
    this.write();
  }

  /** After every change to the reports: log and print what is new, rewrite the reports. */
  update(reports: readonly BackendReport[]): void {
    this.reports = reports;
    this.emitNew();
    this.write();
  }

  /** The run is over (or is being cut short): the last snapshot, the plan, the end event. */
  finish(reports: readonly BackendReport[], exit: number): void {
    if (this.finished) return;
    this.reports = reports;
    this.emitNew();
    this.finished = true;
    const report = this.report();
    if (this.outputs.tap === '-') {
      const trailer = tapTrailer(report, this.tapPoints.length);
      if (trailer.length) this.stdout.write(trailer.join('\n') + '\n');
    }
    this.write();
    this.event({ event: 'end', interrupted: this.interrupted, totals: report.totals, exit });
    if (this.events !== null) closeSync(this.events);
    this.events = null;
  }

  /** True when some report or the event log could not be written. */
  get writeFailed(): boolean {
    return this.failures.size > 0;
  }

  private report(): RunReport {
    return runReport(this.options, [...this.reports], this.finished, this.interrupted);
  }

  private emitNew(): void {
    for (const p of testPoints(this.reports)) {
      if (this.emitted.has(p.key)) continue;
      this.emitted.add(p.key);
      const text = p.render(this.tapPoints.length + 1);
      this.tapPoints.push(text);
      if (this.outputs.tap === '-') this.stdout.write(text + '\n');
      const b = p.backend;
      if (p.entry) {
        this.event({ event: 'property', backend: b.backend, ...p.entry });
        if (p.entry.status === 'error') this.event({ event: 'fault', backend: b.backend, property: p.entry.property, message: p.entry.message });
      } else if (b.error) {
        this.event({ event: 'fault', backend: b.backend, property: null, message: b.error });
      } else {
        this.event({ event: 'property', backend: b.backend, property: null, status: 'skip', reason: b.skipped });
      }
    }
  }

  private event(e: Record<string, unknown>): void {
    if (this.events === null) return;
    try {
      writeSync(this.events, JSON.stringify(e) + '\n');
    } catch (err) {
      this.failed(this.outputs.events!, err);
    }
  }

  private write(): void {
    const report = this.report();
    const { json, junit, tap } = this.outputs;
    if (json) this.file(json, () => jsonReport(report));
    if (junit) this.file(junit, () => junitXml(report));
    if (tap && tap !== '-') {
      this.file(tap, () => [...tapHeader(report), ...this.tapPoints, ...tapTrailer(report, this.tapPoints.length)].join('\n') + '\n');
    }
  }

  private file(path: string, text: () => string): void {
    try {
      writeFileAtomic(path, text());
      this.failures.delete(path);
    } catch (err) {
      this.failed(path, err);
    }
  }

  /** Says once per file that it cannot be written; the run goes on and ends with status 1. */
  private failed(path: string, err: unknown): void {
    const why = (err as NodeJS.ErrnoException).code ?? oneLine(err);
    if (!this.failures.has(path)) this.warn(`vfio-conform: cannot write ${visible(path)}: ${visible(why)}`);
    this.failures.set(path, why);
  }
}
