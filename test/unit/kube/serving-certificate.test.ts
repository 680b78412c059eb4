import { expect } from 'chai';
import * as k8s from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../../src/telemetry/log.js';
import {
  ensureClientSecret,
  ensureServingSecret,
  parseObjectRef,
  reconcileApiService,
  serviceHostnames,
  startServingCertificateKeeper,
  type ApiServicesApi,
  type SecretsApi,
} from '../../../src/kube/serving-certificate.js';
import { makeCa, tempDir } from '../../support/pki.js';

const SERVICE = { namespace: 'deepscaler', name: 'deepscaler-adapter' };
const SECRET = { namespace: 'deepscaler', name: 'deepscaler-adapter-tls' };
const HOSTS = serviceHostnames(SERVICE);
const APISERVICE = 'v1beta1.external.metrics.k8s.io';

const apiError = (code: number): k8s.ApiException<string> =>
  new k8s.ApiException(code, `HTTP ${code}`, JSON.stringify({ kind: 'Status', message: `status ${code}` }), {});
const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

/** An API server's Secret semantics: create fails with 409 if it exists, replace needs the current resourceVersion. */
class FakeSecrets implements SecretsApi {
  stored: k8s.V1Secret | null = null;
  writes = 0;
  private version = 0;
  /** Runs before a create or replace lands (to simulate another replica winning a race). */
  beforeWrite: (() => void) | null = null;

  put(secret: k8s.V1Secret): void {
    this.stored = clone({ ...secret, metadata: { ...secret.metadata, resourceVersion: String(++this.version) } });
  }
  async readNamespacedSecret(): Promise<k8s.V1Secret> {
    if (this.stored === null) throw apiError(404);
    return clone(this.stored);
  }
  async createNamespacedSecret(param: { body: k8s.V1Secret }): Promise<k8s.V1Secret> {
    const hook = this.beforeWrite;
    this.beforeWrite = null;
    hook?.();
    if (this.stored !== null) throw apiError(409);
    this.writes++;
    this.put(param.body);
    return clone(this.stored!);
  }
  async replaceNamespacedSecret(param: { body: k8s.V1Secret }): Promise<k8s.V1Secret> {
    const hook = this.beforeWrite;
    this.beforeWrite = null;
    hook?.();
    if (param.body.metadata?.resourceVersion !== this.stored?.metadata?.resourceVersion) throw apiError(409);
    this.writes++;
    this.put(param.body);
    return clone(this.stored!);
  }
}

class FakeApiServices implements ApiServicesApi {
  writes = 0;
  constructor(public stored: k8s.V1APIService | null) {}
  async readAPIService(): Promise<k8s.V1APIService> {
    if (this.stored === null) throw apiError(404);
    return clone(this.stored);
  }
  async replaceAPIService(param: { body: k8s.V1APIService }): Promise<k8s.V1APIService> {
    this.writes++;
    this.stored = clone(param.body);
    return clone(this.stored);
  }
}

function apiService(service: { namespace: string; name: string } | null, caBundle?: string): k8s.V1APIService {
  return {
    metadata: { name: APISERVICE },
    spec: {
      group: 'external.metrics.k8s.io',
      version: 'v1beta1',
      groupPriorityMinimum: 100,
      versionPriority: 100,
      ...(service ? { service } : {}),
      ...(caBundle ? { caBundle } : {}),
    },
  };
}

function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  return { logger: createLogger({}, (l) => lines.push(JSON.parse(l) as { level: string; msg: string })), lines };
}

describe('kube/serving-certificate: the adapter makes its own serving certificate and keeps the APIService caBundle', function () {
  this.timeout(60_000); // RSA key generation
  const quiet = captureLogger().logger;

  it('makes a CA and a certificate for <service>.<namespace>.svc signed by it, and stores both in the Secret', async () => {
    const secrets = new FakeSecrets();
    const made = await ensureServingSecret(secrets, SECRET, HOSTS, quiet);
    expect(secrets.writes).to.equal(1);
    expect(secrets.stored?.type).to.equal('kubernetes.io/tls');
    expect(Object.keys(secrets.stored!.data!).sort()).to.deep.equal(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    const leaf = new X509Certificate(made.cert);
    const ca = new X509Certificate(made.caCert);
    expect(leaf.verify(ca.publicKey)).to.equal(true);
    expect(ca.ca).to.equal(true);
    expect(leaf.checkHost('deepscaler-adapter.deepscaler.svc')).to.equal('deepscaler-adapter.deepscaler.svc');
    expect(leaf.checkHost('deepscaler-adapter.deepscaler.svc.cluster.local')).to.not.equal(undefined);
  });

  it('a second replica serves the same certificate without writing anything', async () => {
    const secrets = new FakeSecrets();
    const first = await ensureServingSecret(secrets, SECRET, HOSTS, quiet);
    const second = await ensureServingSecret(secrets, SECRET, HOSTS, quiet);
    expect(second).to.deep.equal(first);
    expect(secrets.writes).to.equal(1);
  });

  it('two replicas starting together end up with one certificate: the loser of the create race reads the winner’s', async () => {
    const secrets = new FakeSecrets();
    const winner = new FakeSecrets();
    const theirs = await ensureServingSecret(winner, SECRET, HOSTS, quiet);
    secrets.beforeWrite = () => secrets.put(winner.stored!); // the other replica's create lands first
    const ours = await ensureServingSecret(secrets, SECRET, HOSTS, quiet);
    expect(ours.cert).to.equal(theirs.cert);
    expect(ours.caCert).to.equal(theirs.caCert);
  });

  it('renews a certificate that expires within 30 days, keeping the CA (so the caBundle does not change)', async () => {
    const secrets = new FakeSecrets();
    const first = await ensureServingSecret(secrets, SECRET, HOSTS, quiet);
    const in340Days = Date.now() + 340 * 24 * 3600 * 1000;
    const renewed = await ensureServingSecret(secrets, SECRET, HOSTS, quiet, in340Days);
    expect(renewed.cert).to.not.equal(first.cert);
    expect(renewed.caCert).to.equal(first.caCert);
    expect(new X509Certificate(renewed.cert).verify(new X509Certificate(first.caCert).publicKey)).to.equal(true);
    expect(secrets.writes).to.equal(2);
  });

  it('replaces a certificate that does not cover the Service name (e.g. after renaming the Service)', async () => {
    const secrets = new FakeSecrets();
    await ensureServingSecret(secrets, SECRET, serviceHostnames({ namespace: 'deepscaler', name: 'old-name' }), quiet);
    const renewed = await ensureServingSecret(secrets, SECRET, HOSTS, quiet);
    expect(new X509Certificate(renewed.cert).checkHost('deepscaler-adapter.deepscaler.svc')).to.not.equal(undefined);
  });

  it('names the missing permission when the Secret cannot be read', async () => {
    const secrets = new FakeSecrets();
    secrets.readNamespacedSecret = async () => {
      throw apiError(403);
    };
    let error: Error | null = null;
    await ensureServingSecret(secrets, SECRET, HOSTS, quiet).catch((e: Error) => (error = e));
    expect(error).to.be.instanceOf(Error);
    expect(error!.message).to.contain('cannot read secret deepscaler/deepscaler-adapter-tls');
    expect(error!.message).to.contain('status 403');
  });

  it('sets the caBundle of an APIService that points at this adapter, and leaves a current one alone', async () => {
    const api = new FakeApiServices(apiService(SERVICE));
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(await reconcileApiService(api, APISERVICE, SERVICE, ca)).to.deep.equal({ kind: 'ours', caBundleCurrent: false });
    expect(api.stored?.spec?.caBundle).to.equal(Buffer.from(ca).toString('base64'));
    expect(await reconcileApiService(api, APISERVICE, SERVICE, ca)).to.deep.equal({ kind: 'ours', caBundleCurrent: true });
    expect(api.writes).to.equal(1);
  });

  it('never touches an APIService that points at another backend, and reports which', async () => {
    const keda = apiService({ namespace: 'keda', name: 'keda-operator-metrics-apiserver' }, 'S0VEQQ==');
    const api = new FakeApiServices(keda);
    expect(await reconcileApiService(api, APISERVICE, SERVICE, 'our CA')).to.deep.equal({
      kind: 'other',
      backend: 'service keda/keda-operator-metrics-apiserver',
    });
    expect(api.writes).to.equal(0);
    expect(api.stored).to.deep.equal(keda);
    expect(await reconcileApiService(new FakeApiServices(null), APISERVICE, SERVICE, 'our CA')).to.deep.equal({ kind: 'missing' });
  });

  it('at start-up writes the pair for the servers, fills the caBundle, and warns loudly (once) when another backend owns the APIService', async () => {
    const dir = tempDir('deepscaler-keeper-');
    try {
      const secrets = new FakeSecrets();
      const apiServices = new FakeApiServices(apiService(SERVICE));
      const { logger, lines } = captureLogger();
      const keeper = await startServingCertificateKeeper({
        secrets,
        apiServices,
        secret: SECRET,
        service: SERVICE,
        apiService: APISERVICE,
        certDir: dir,
        logger,
        intervalMs: 3_600_000,
      });
      try {
        expect(readFileSync(keeper.files!.certFile, 'utf8')).to.equal(Buffer.from(secrets.stored!.data!['tls.crt']!, 'base64').toString('utf8'));
        expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).to.equal(Buffer.from(apiServices.stored!.spec!.caBundle!, 'base64').toString('utf8'));

        // KEDA takes the APIService over: the next rounds warn once, loudly, and change nothing.
        apiServices.stored = apiService({ namespace: 'keda', name: 'keda-operator-metrics-apiserver' });
        await keeper.reconcile();
        await keeper.reconcile();
        const warnings = lines.filter((l) => l.level === 'warn');
        expect(warnings).to.have.length(1);
        expect(warnings[0]!.msg).to.match(
          /^!!! APIService v1beta1\.external\.metrics\.k8s\.io POINTS AT ANOTHER BACKEND \(service keda\/keda-operator-metrics-apiserver\)/,
        );
        expect(warnings[0]!.msg).to.contain('manifests/overlays/keda');
        expect(apiServices.stored.spec?.caBundle).to.equal(undefined);
      } finally {
        keeper.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("issues KEDA's client certificate from the serving CA, keeps it, and reissues it when the CA changes", async () => {
    const servingSecrets = new FakeSecrets();
    const serving = await ensureServingSecret(servingSecrets, SECRET, HOSTS, quiet);
    const ca = { cert: serving.caCert, key: serving.caKey };
    const keda = new FakeSecrets();
    const ref = { namespace: 'keda', name: 'deepscaler-keda-client' };
    await ensureClientSecret(keda, ref, ca, 'keda', quiet);
    const data = (k: string): string => Buffer.from(keda.stored!.data![k]!, 'base64').toString('utf8');
    const client = new X509Certificate(data('tls.crt'));
    expect(client.verify(new X509Certificate(serving.caCert).publicKey)).to.equal(true);
    expect(client.subject).to.contain('CN=keda');
    expect(client.keyUsage ?? []).to.include('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(data('ca.crt')).to.equal(serving.caCert);
    expect(keda.stored!.data!['ca.key'], 'the CA key never leaves the adapter namespace').to.equal(undefined);
    await ensureClientSecret(keda, ref, ca, 'keda', quiet);
    expect(keda.writes).to.equal(1);

    const otherCa = makeCa('another-ca');
    await ensureClientSecret(keda, ref, otherCa, 'keda', quiet);
    expect(keda.writes).to.equal(2);
    expect(new X509Certificate(data('tls.crt')).verify(new X509Certificate(otherCa.cert).publicKey)).to.equal(true);
  });

  it('reads <namespace>/<name> references and rejects anything else', () => {
    expect(parseObjectRef('deepscaler/deepscaler-adapter-tls', '--cert-secret')).to.deep.equal(SECRET);
    expect(() => parseObjectRef('deepscaler-adapter-tls', '--cert-secret')).to.throw('--cert-secret: "deepscaler-adapter-tls" is not <namespace>/<name>');
  });
});
