/**
 * A PEM file (a CA bundle) read now and re-read when it changes: polled, so the symlink swap of a
 * mounted Secret or ConfigMap is seen; an unreadable or invalid update keeps the previous content.
 * The HTTPS server (client CAs for authentication) and the gRPC server (client CAs KEDA's
 * certificate must chain to) use this one watcher, the same instance when they name the same file.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { readPemFile } from './settings.js';
import { parseCertificateBundle } from './x509.js';
import type { Logger } from '../telemetry/index.js';

export interface PemSource {
  /** The file it was read from. */
  readonly path: string;
  /** The newest valid content. */
  current(): string;
  onChange(listener: (pem: string) => void): void;
  close(): void;
}

/** Reads `path` (throws naming it unless it holds at least one PEM certificate) and polls it. */
export function watchCertificateFile(path: string, logger: Logger, pollMs = 2_000): PemSource {
  const read = (): string => {
    const { pem, source } = readPemFile(path);
    parseCertificateBundle(pem, source); // throws naming the file unless it is a certificate bundle
    return pem;
  };
  let pem = read();
  const listeners: Array<(pem: string) => void> = [];
  const reload = (): void => {
    let next: string;
    try {
      next = read();
    } catch (err) {
      logger.warn('CA bundle not reloaded, keeping the previous one', { file: path, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (next === pem) return;
    pem = next;
    logger.info('CA bundle reloaded', { file: path });
    for (const listener of listeners) listener(pem);
  };
  watchFile(path, { interval: pollMs, persistent: false }, reload);
  return { path, current: () => pem, onChange: (listener) => listeners.push(listener), close: () => unwatchFile(path, reload) };
}
