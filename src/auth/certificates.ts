/**
 * X.509 issuing with node-forge: the self-signed serving certificate of the default run, and the
 * CAs and leaf certificates tests mint. One function, so both paths make certificates Go's and
 * Node's verifiers accept (basicConstraints, keyUsage, SANs).
 */
import forge from 'node-forge';
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface KeyPairPem {
  readonly cert: string;
  readonly key: string;
}

export type CertificateUsage = 'ca' | 'server' | 'client' | 'both';

export interface CertificateRequest {
  readonly commonName: string;
  /** Organizations (Kubernetes reads them as groups of a client certificate). */
  readonly organizations?: readonly string[];
  readonly usage: CertificateUsage;
  /** DNS names and IP addresses for the subjectAltName extension. */
  readonly hostnames?: readonly string[];
  readonly validDays?: number;
  /** Signs with this CA; self-signed when absent. */
  readonly issuer?: KeyPairPem;
  /** Backdates or expires the certificate (tests of validity checks). */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

const DAY_MS = 24 * 3600 * 1000;

function subjectAttributes(commonName: string, organizations: readonly string[]): forge.pki.CertificateField[] {
  return [...organizations.map((value) => ({ name: 'organizationName', value })), { name: 'commonName', value: commonName }];
}

function extensions(request: CertificateRequest): object[] {
  if (request.usage === 'ca') {
    return [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ];
  }
  const list: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    {
      name: 'extKeyUsage',
      serverAuth: request.usage === 'server' || request.usage === 'both',
      clientAuth: request.usage === 'client' || request.usage === 'both',
    },
  ];
  const hostnames = request.hostnames ?? [];
  if (hostnames.length > 0) {
    list.push({
      name: 'subjectAltName',
      altNames: hostnames.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    });
  }
  return list;
}

/** Issues a certificate with a fresh 2048-bit RSA key (node-forge uses Node's native key generation). */
export function issueCertificate(request: CertificateRequest): KeyPairPem {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // A positive serial: a leading 0x00..0x7f byte keeps the DER integer from reading as negative.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = request.notBefore ?? new Date(now - 60_000);
  cert.validity.notAfter = request.notAfter ?? new Date(now + (request.validDays ?? 365) * DAY_MS);
  cert.setSubject(subjectAttributes(request.commonName, request.organizations ?? []));
  let signingKey = keys.privateKey;
  if (request.issuer) {
    const issuerCert = forge.pki.certificateFromPem(request.issuer.cert);
    cert.setIssuer(issuerCert.subject.attributes);
    signingKey = forge.pki.privateKeyFromPem(request.issuer.key);
  } else {
    cert.setIssuer(cert.subject.attributes);
  }
  cert.setExtensions(extensions(request));
  cert.sign(signingKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}
