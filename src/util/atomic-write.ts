/**
 * Atomic file and folder writes: write to a temporary name beside the target, fsync, rename.
 * A crash or an error leaves either the old content or the new, never half of either.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Builds a whole folder in a temporary sibling, then swaps it in. `fill` writes into the folder it
 * is given; if it throws, the target is untouched. An existing target is replaced as a whole.
 */
export async function writeDirAtomic(target: string, fill: (dir: string) => Promise<void> | void): Promise<void> {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempName(target);
  mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  // rename() cannot replace a non-empty folder: move the old one aside first, then drop it.
  const old = existsSync(target) ? tempName(target) + '.old' : null;
  if (old) renameSync(target, old);
  try {
    renameSync(tmp, target);
  } catch (err) {
    if (old) renameSync(old, target);
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`cannot move ${tmp} to ${target}: ${(err as Error).message}`, { cause: err });
  }
  if (old) rmSync(old, { recursive: true, force: true });
}
