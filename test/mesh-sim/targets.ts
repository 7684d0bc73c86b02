/**
 * Prometheus file_sd registration: `<dir>/mesh-sim-<port>.json` lists this simulator as a target of
 * job "mesh-sim". Written atomically (temp file + rename) so Prometheus never reads half a file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const targetFileName = (port: number): string => `mesh-sim-${port}.json`;

/** The file_sd content for a simulator on `port`. */
export const targetFileContent = (port: number): string =>
  `${JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { job: 'mesh-sim' } }])}\n`;

let tmpCounter = 0;

/** Writes a file atomically; concurrent writers each use their own temp file, the last rename wins. */
export const writeAtomically = async (file: string, content: string): Promise<void> => {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  await fs.writeFile(tmp, content);
  await fs.rename(tmp, file);
};

/** Registers the target; returns the file written. */
export const registerTarget = async (dir: string, port: number): Promise<string> => {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, targetFileName(port));
  await writeAtomically(file, targetFileContent(port));
  return file;
};

/** Removes the target file; a file already gone is fine. */
export const unregisterTarget = async (file: string): Promise<void> => {
  await fs.rm(file, { force: true });
};
