// Why a backend module could not be loaded, in one line that says where: `file:line:column: what`.
//
// A module fails to load in a handful of ways, each reporting its place differently: esbuild (which
// compiles TypeScript and ESM-in-CommonJS) lists its errors with locations below a "Transform
// failed" heading; V8 gives a native ESM syntax error no location in its message; a missing import
// names only the specifier and the importing file; anything thrown while the module or its
// factory runs has the place in its stack. This finds the place in each and puts it in front.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Place { file: string; line: number; column: number }

const SUITE_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** `file:line:column: what went wrong`, or just what went wrong when no place is known. */
export function describeLoadError(err: unknown, modulePath: string): string {
  const esbuild = esbuildMessage(err);
  if (esbuild) return esbuild;
  const message = firstLine(err);
  const place = importPlace(err, message) ?? syntaxPlace(err, modulePath) ?? stackPlace(err, modulePath);
  return place ? `${where(place)}: ${message}` : message;
}

/** A path as the user would type it: relative to the working directory when under it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

const where = (p: Place): string => `${displayPath(p.file)}:${p.line}:${p.column}`;

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim() || 'unknown error';
}

type EsbuildMessage = { text: string; location: { file: string; line: number; column: number } | null };

/**
 * esbuild's errors carry their places, columns counted from 0: as objects when the error comes
 * straight from esbuild, in the message ("Transform failed with N errors:" then one
 * "file:line:column: ERROR: text" line each) when it crossed a thread on its way.
 */
function esbuildMessage(err: unknown): string | null {
  let errors = (err as { errors?: unknown }).errors as EsbuildMessage[] | undefined;
  if (!Array.isArray(errors) || typeof errors[0]?.text !== 'string') {
    const text = err instanceof Error ? err.message : '';
    if (!/^(Transform|Build) failed with \d+ errors?:/.test(text)) return null;
    errors = [...text.matchAll(/^(.+):(\d+):(\d+): ERROR: (.*)$/gm)].map((m) => ({
      text: m[4]!, location: { file: m[1]!, line: Number(m[2]), column: Number(m[3]) },
    }));
    if (errors.length === 0) return text.split('\n').slice(1).find((l) => l.trim())?.trim() ?? null;
  }
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  const loc = first.location;
  if (!loc) return `${first.text}${more}`;
  return `${where({ file: resolve(loc.file), line: loc.line, column: loc.column + 1 })}: ${first.text}${more}`;
}

/** A specifier that does not resolve: its place is where the importing file names it. */
function importPlace(err: unknown, message: string): Place | null {
  const code = (err as { code?: unknown }).code;
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') return null;
  const text = err instanceof Error ? err.message : '';
  const specifier = /(?:module|package) '([^']+)'/.exec(message)?.[1] ?? /(?:module|package) "([^"]+)"/.exec(message)?.[1];
  // ESM: "... imported from /path"; CommonJS: "Require stack:\n- /path".
  const importer = / imported from (\S+)/.exec(text)?.[1] ?? /Require stack:\n- (.+)/.exec(text)?.[1];
  if (!specifier || !importer) return null;
  const file = importer.startsWith('file:') ? fileURLToPath(importer) : importer;
  return findInFile(file, [`'${specifier}'`, `"${specifier}"`, specifier]);
}

function findInFile(file: string, needles: readonly string[]): Place | null {
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').split('\n');
  } catch {
    return null;
  }
  for (const needle of needles) {
    for (let i = 0; i < lines.length; i++) {
      const at = lines[i]!.indexOf(needle);
      if (at >= 0) return { file, line: i + 1, column: at + 1 };
    }
  }
  return { file, line: 1, column: 1 };
}

/**
 * A syntax error V8 found (a `.mjs` file runs without being compiled) has no place in its
 * message: esbuild, which tsx brings along, parses the file again to find it.
 */
function syntaxPlace(err: unknown, modulePath: string): Place | null {
  if (!(err instanceof SyntaxError)) return null;
  const fromStack = stackPlace(err, modulePath);
  if (fromStack) return fromStack;
  try {
    const tsx = fileURLToPath(import.meta.resolve('tsx'));
    const esbuild = createRequire(tsx)('esbuild') as { transformSync(code: string, options: object): unknown };
    const ext = extname(modulePath);
    const loader = /^\.[cm]?ts$/.test(ext) ? 'ts' : 'js';
    esbuild.transformSync(readFileSync(modulePath, 'utf8'), { loader, sourcefile: modulePath, format: 'esm' });
  } catch (parseError) {
    const errors = (parseError as { errors?: EsbuildMessage[] }).errors;
    const loc = errors?.[0]?.location;
    if (loc) return { file: resolve(loc.file), line: loc.line, column: loc.column + 1 };
  }
  return null;
}

const FRAME = /(?:\(|at )((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/;

/**
 * The first stack frame in the module itself, else the first outside the suite, node and
 * node_modules: where the user's code threw.
 */
function stackPlace(err: unknown, modulePath: string): Place | null {
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  const frames: Place[] = [];
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]!;
    if (!isAbsolute(file)) continue;
    frames.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  const mine = frames.find((f) => f.file === modulePath);
  if (mine) return mine;
  const userCode = (f: Place) => !f.file.startsWith(SUITE_ROOT + sep) && !f.file.split(sep).includes('node_modules');
  return frames.find(userCode) ?? null;
}
