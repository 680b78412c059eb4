/**
 * Client certificate checks with Node's X509Certificate: does a presented chain lead to one of
 * our CAs, is every link in date, may the leaf authenticate a client. The TLS layer requests a
 * certificate but does not verify it, because which CA signed it decides who the caller is.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const MAX_CHAIN = 5;

/** Every certificate in a PEM bundle; throws naming `source` when there is none or one is broken. */
export function parseCertificateBundle(pem: string, source: string): X509Certificate[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error(`${source}: no PEM certificate found`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new Error(`${source}: certificate ${i + 1} is not valid: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** The chain a TLS peer presented, leaf first (Node links the issuers; a self-signed root links to itself). */
export function peerChain(peer: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current: DetailedPeerCertificate | undefined = peer;
  while (current?.raw && chain.length < MAX_CHAIN) {
    chain.push(new X509Certificate(current.raw));
    if (current.issuerCertificate === current) break;
    current = current.issuerCertificate;
  }
  return chain;
}

function inDate(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/**
 * Null when `chain` (leaf first, then any intermediates) leads to one of `roots` with every
 * certificate in date and the leaf usable for client authentication; otherwise why not.
 */
export function chainProblem(chain: readonly X509Certificate[], roots: readonly X509Certificate[], now = Date.now()): string | null {
  const leaf = chain[0];
  if (!leaf) return 'no client certificate';
  if (!inDate(leaf, now)) return `client certificate "${leaf.subject.replace(/\n/g, ', ')}" is expired or not yet valid`;
  const usages = leaf.keyUsage as readonly string[] | undefined;
  if (usages && usages.length > 0 && !usages.includes(CLIENT_AUTH_OID)) return 'client certificate is not valid for client authentication';
  let current = leaf;
  const intermediates = chain.slice(1);
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (roots.some((root) => inDate(root, now) && signedBy(current, root))) return null;
    const next = intermediates.find((c) => c.ca && c !== current && inDate(c, now) && signedBy(current, c));
    if (!next) break;
    current = next;
  }
  return 'client certificate is not signed by a trusted certificate authority';
}

export interface SubjectNames {
  readonly commonName: string;
  readonly organizations: readonly string[];
}

export function subjectNames(cert: X509Certificate): SubjectNames {
  const subject = cert.toLegacyObject().subject as unknown as Record<string, string | string[] | undefined>;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return { commonName: list(subject['CN'])[0] ?? '', organizations: list(subject['O']) };
}
