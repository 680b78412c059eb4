import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSelfSignedCertificate, readKeyPair, watchKeyPair } from '../../../src/auth/tls.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { eventually } from '../../support/eventually.js';
import { makeCa, makeServingCert, tempDir, writeKeyPair } from '../../support/pki.js';

describe('serving certificate', function () {
  this.timeout(30_000);

  it('generates a self-signed certificate covering every hostname, key readable by the owner only', () => {
    const dir = join(tempDir(), 'certs');
    const files = ensureSelfSignedCertificate(dir, ['localhost', '127.0.0.1', 'adapter.kube-system.svc']);
    const cert = new X509Certificate(readFileSync(files.certFile));
    expect(cert.checkHost('localhost')).to.equal('localhost');
    expect(cert.checkHost('adapter.kube-system.svc')).to.equal('adapter.kube-system.svc');
    expect(cert.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(cert.verify(cert.publicKey)).to.equal(true);
    expect(statSync(files.keyFile).mode & 0o077).to.equal(0);
    expect(readdirSync(dir).sort()).to.deep.equal(['tls.crt', 'tls.key']);
  });

  it('reuses a valid certificate instead of minting a new one on every start', () => {
    const dir = tempDir();
    const first = readFileSync(ensureSelfSignedCertificate(dir, ['localhost']).certFile, 'utf8');
    const second = readFileSync(ensureSelfSignedCertificate(dir, ['localhost']).certFile, 'utf8');
    expect(second).to.equal(first);
  });

  it('replaces a certificate that does not cover a newly asked hostname, or is broken', () => {
    const dir = tempDir();
    const files = ensureSelfSignedCertificate(dir, ['localhost']);
    const first = readFileSync(files.certFile, 'utf8');
    ensureSelfSignedCertificate(dir, ['localhost', 'adapter.example']);
    const second = readFileSync(files.certFile, 'utf8');
    expect(second).to.not.equal(first);
    writeFileSync(files.certFile, 'garbage');
    ensureSelfSignedCertificate(dir, ['localhost']);
    expect(() => readKeyPair(files)).to.not.throw();
  });

  it('refuses a key that does not belong to the certificate, naming both files', () => {
    const ca = makeCa('ca');
    const dir = tempDir();
    const a = writeKeyPair(dir, 'a', makeServingCert(ca));
    const b = writeKeyPair(dir, 'b', makeServingCert(ca));
    expect(() => readKeyPair({ certFile: a.certFile, keyFile: b.keyFile })).to.throw(`${b.keyFile} does not match the certificate in ${a.certFile}`);
    expect(() => readKeyPair({ certFile: join(dir, 'missing.crt'), keyFile: a.keyFile })).to.throw(/cannot read .*missing.crt/);
  });

  it('reloads a rotated pair, and keeps the previous pair while the files do not match', async () => {
    const ca = makeCa('ca');
    const dir = tempDir();
    const original = makeServingCert(ca);
    const rotated = makeServingCert(ca);
    const files = writeKeyPair(dir, 'tls', original);
    const lines: string[] = [];
    const source = watchKeyPair(
      files,
      createLogger({}, (l) => lines.push(l)),
      20,
    );
    const changes: string[] = [];
    source.onChange((pair) => changes.push(pair.cert));
    try {
      writeFileSync(files.certFile, rotated.cert); // half-way: new cert, old key
      await eventually(() => lines.join('\n').includes('serving certificate not reloaded'), 'the mismatched pair is noticed');
      expect(source.current().cert).to.equal(original.cert);
      writeFileSync(files.keyFile, rotated.key);
      await eventually(() => source.current().cert === rotated.cert, 'the rotated pair is loaded');
      expect(source.current()).to.deep.equal(rotated);
      expect(changes).to.deep.equal([rotated.cert]);
    } finally {
      source.close();
    }
  });
});
