/**
 * Certificates for tests (node-forge, no openssl needed): CAs, serving certificates, client
 * certificates, and the files a server or kubectl reads. Shared by the API and gRPC tests (the e2e
 * harness mints the control plane's certificates with openssl: test/e2e/cluster/certs.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate, type CertificateRequest, type KeyPairPem } from '../../src/auth/certificates.js';

export type { KeyPairPem };

export function makeCa(commonName: string, extra: Partial<CertificateRequest> = {}): KeyPairPem {
  return issueCertificate({ commonName, usage: 'ca', validDays: 2, ...extra });
}

/** A serving certificate for loopback (localhost, 127.0.0.1, ::1) plus `hostnames`. */
export function makeServingCert(ca: KeyPairPem, hostnames: readonly string[] = []): KeyPairPem {
  return issueCertificate({ commonName: 'localhost', usage: 'server', issuer: ca, validDays: 2, hostnames: ['localhost', '127.0.0.1', '::1', ...hostnames] });
}

/** A client certificate: Kubernetes reads CN as the user and each O as a group. */
export function makeClientCert(ca: KeyPairPem, commonName: string, organizations: readonly string[] = [], extra: Partial<CertificateRequest> = {}): KeyPairPem {
  return issueCertificate({ commonName, organizations, usage: 'client', issuer: ca, validDays: 2, ...extra });
}

export function tempDir(prefix = 'deepscaler-pki-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `<name>.crt` and `<name>.key` into `dir`; returns their paths. */
export function writeKeyPair(dir: string, name: string, pair: KeyPairPem): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(certFile, pair.cert);
  writeFileSync(keyFile, pair.key, { mode: 0o600 });
  return { certFile, keyFile };
}
