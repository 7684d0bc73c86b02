/**
 * What CLI commands share: their exit codes; and for offline commands the I/O record they run
 * against (real in main.ts, in memory in tests), reading files into documents with one-line errors,
 * and small formatting helpers.
 * Nothing here prints a stack trace or an io-ts type dump.
 */
import { readFileSync } from 'fs';
import { parseAllDocuments } from 'yaml';

/** The effects an offline command (plan) may have: files in, text out. Tests pass an in-memory version. */
export interface FileIo {
  /** The text of a file; "-" is standard input. Throws (like fs) when it cannot be read. */
  readonly readFile: (path: string) => string;
  /** Writes text as is (commands add their own newlines). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The process's own files and output streams. */
export const nodeFileIo = (): FileIo => ({
  readFile: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
});

/** Process exit codes of every sluice command. */
export const EXIT = {
  /** Done: shown, checked, or the command was written (and, with --wait, applied). */
  ok: 0,
  /** Failed at run time: the daemon rejected the command, the API call failed, or --wait timed out. */
  failed: 1,
  /** The command line or its input is wrong; a one-line message says how. */
  usage: 2,
} as const;

const firstLine = (text: string): string => text.split('\n')[0]!.trim();

/** A thrown value as one line: fs error codes in words, anything else by its first line. */
export const describeError = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return firstLine(e instanceof Error ? e.message : String(e));
};

/** A document read from a file, numbered from 1 within it. */
export interface SourceDocument {
  readonly file: string;
  readonly index: number;
  readonly value: unknown;
}

/** A problem with a whole file or document, before any object is decoded. */
export interface SourceProblem {
  readonly file: string;
  readonly message: string;
}

/**
 * The documents of a YAML or JSON file (JSON is YAML). Multi-document streams are split on
 * `---`; empty documents are skipped; a `kind: List` contributes its items.
 */
export const readDocuments = (io: FileIo, file: string): { documents: SourceDocument[]; problems: SourceProblem[] } => {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (e) {
    return { documents: [], problems: [{ file, message: `cannot be read: ${describeError(e)}` }] };
  }
  const documents: SourceDocument[] = [];
  const problems: SourceProblem[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const index = i + 1;
    const error = doc.errors[0];
    if (error) {
      const where = error.linePos?.[0] ? ` (line ${error.linePos[0].line}, column ${error.linePos[0].col})` : '';
      problems.push({ file, message: `document ${index}: is not valid YAML or JSON${where}: ${firstLine(error.message).replace(/ at line \d+, column \d+:?$/, '')}` });
      return;
    }
    const value: unknown = doc.toJSON();
    if (value === null || value === undefined) return;
    const items = (value as { kind?: unknown; items?: unknown }).kind === 'List' ? (value as { items?: unknown }).items : undefined;
    if (Array.isArray(items)) items.forEach((item) => documents.push({ file, index, value: item }));
    else documents.push({ file, index, value });
  });
  return { documents, problems };
};

/** 0.01 -> "1 %", 0.005 -> "0.5 %". */
export const percent = (rate: number): string => `${Number((rate * 100).toFixed(4))} %`;

/** Milliseconds as whole seconds for JSON output. */
export const seconds = (ms: number): number => Math.round(ms / 1000);
