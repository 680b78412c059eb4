/**
 * The serving certificate: read from PEM files and reloaded when they change (a rotated Secret
 * must not need a restart), or generated self-signed for the default run. The gRPC server reuses
 * the same files through `watchKeyPair`.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { issueCertificate, type KeyPairPem } from './certificates.js';
import { writeFileAtomic } from '../util/index.js';
import type { Logger } from '../telemetry/index.js';

export interface KeyPairFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Reads a certificate chain and its key, and checks they belong together; throws naming the file. */
export function readKeyPair(files: KeyPairFiles): KeyPairPem {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const cert = read(files.certFile);
  const key = read(files.keyFile);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${files.certFile} is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${files.keyFile} is not a PEM private key: ${(err as Error).message}`, { cause: err });
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new Error(`${files.keyFile} does not match the certificate in ${files.certFile}`);
  }
  return { cert, key };
}

export interface KeyPairSource {
  /** The newest valid pair; a half-written or mismatched update keeps the previous one. */
  current(): KeyPairPem;
  onChange(listener: (pair: KeyPairPem) => void): void;
  close(): void;
}

/**
 * Loads the pair now (throws if invalid) and re-reads both files every `pollMs`, comparing
 * contents: that follows the symlink swap Kubernetes uses to update mounted Secrets, and unlike
 * fs.watchFile (which compares stat results) it cannot miss a same-size rewrite within the file
 * system's timestamp granularity.
 */
export function watchKeyPair(files: KeyPairFiles, logger: Logger, pollMs = 2000): KeyPairSource {
  let pair = readKeyPair(files);
  const listeners: Array<(pair: KeyPairPem) => void> = [];
  let lastProblem = '';
  const reload = (): void => {
    let next: KeyPairPem;
    try {
      next = readKeyPair(files);
    } catch (err) {
      // Cert and key are two files: between their writes they may not match. The next poll
      // retries; say so once per distinct problem, not every poll.
      const problem = (err as Error).message;
      if (problem !== lastProblem) logger.warn('serving certificate not reloaded, keeping the previous one', { error: problem });
      lastProblem = problem;
      return;
    }
    lastProblem = '';
    if (next.cert === pair.cert && next.key === pair.key) return;
    pair = next;
    logger.info('serving certificate reloaded', { certFile: files.certFile });
    for (const listener of listeners) listener(pair);
  };
  const timer = setInterval(reload, pollMs);
  timer.unref();
  return {
    current: () => pair,
    onChange: (listener) => listeners.push(listener),
    close: () => clearInterval(timer),
  };
}

const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

function coversHostnames(cert: X509Certificate, hostnames: readonly string[]): boolean {
  return hostnames.every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
}

/**
 * The default run's certificate: `<dir>/tls.crt` + `<dir>/tls.key`, self-signed for `hostnames`.
 * An existing pair is reused while it is valid for another week and covers every hostname.
 */
export function ensureSelfSignedCertificate(dir: string, hostnames: readonly string[]): KeyPairFiles {
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  if (existsSync(files.certFile) && existsSync(files.keyFile)) {
    try {
      const cert = new X509Certificate(readKeyPair(files).cert);
      if (Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS && coversHostnames(cert, hostnames)) return files;
    } catch {
      // Unreadable or mismatched: replace it below.
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = issueCertificate({ commonName: hostnames[0] ?? 'localhost', usage: 'server', hostnames, validDays: 365 });
  writeFileAtomic(files.keyFile, pair.key);
  chmodSync(files.keyFile, 0o600);
  writeFileAtomic(files.certFile, pair.cert);
  return files;
}
