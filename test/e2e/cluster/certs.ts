/**
 * Certificates for a loopback control plane, made with the openssl CLI (present on every Debian
 * machine, nothing to install). Short-lived (2 days): they live only as long as one test run.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

export interface Ca extends CertPair {
  readonly name: string;
}

function openssl(dir: string, args: readonly string[]): void {
  try {
    execFileSync('openssl', [...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`e2e: openssl ${args.slice(0, 2).join(' ')} failed: ${err.stderr?.toString() ?? err.message}`, { cause: e });
  }
}

/** A self-signed CA. Go's x509 insists on basicConstraints CA:TRUE and keyCertSign. */
export function makeCa(dir: string, name: string, cn: string): Ca {
  const cnf = join(dir, `${name}-ca.cnf`);
  writeFileSync(
    cnf,
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      `CN = ${cn}`,
      '[v3_ca]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  const cert = join(dir, `${name}-ca.crt`);
  const key = join(dir, `${name}-ca.key`);
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-config', cnf, '-extensions', 'v3_ca']);
  return { name, cert, key };
}

export interface LeafOptions {
  /** Subject, e.g. `/O=system:masters/CN=admin`. */
  readonly subject: string;
  readonly usage: 'client' | 'server' | 'both';
  /** SANs like `IP:127.0.0.1`, `DNS:localhost`. */
  readonly sans?: readonly string[];
}

export function makeLeaf(dir: string, ca: Ca, name: string, opts: LeafOptions): CertPair {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  const eku = opts.usage === 'client' ? 'clientAuth' : opts.usage === 'server' ? 'serverAuth' : 'serverAuth,clientAuth';
  const lines = ['[ext]', 'basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature,keyEncipherment', `extendedKeyUsage = ${eku}`];
  if (opts.sans !== undefined && opts.sans.length > 0) lines.push(`subjectAltName = ${opts.sans.join(',')}`);
  writeFileSync(ext, lines.join('\n') + '\n');
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', opts.subject]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    ext,
    '-extensions',
    'ext',
  ]);
  return { cert, key };
}

/** The key pair the apiserver signs service-account tokens with (and verifies them against). */
export function makeServiceAccountKey(dir: string): { readonly privateKey: string; readonly publicKey: string } {
  const privateKey = join(dir, 'sa.key');
  const publicKey = join(dir, 'sa.pub');
  openssl(dir, ['genrsa', '-out', privateKey, '2048']);
  openssl(dir, ['rsa', '-in', privateKey, '-pubout', '-out', publicKey]);
  return { privateKey, publicKey };
}
