/**
 * A small local stand-in for kube-apiserver's review and ConfigMap endpoints, for tests of
 * delegated authentication and authorization: TokenReview, SubjectAccessReview, and GET + watch
 * of kube-system/extension-apiserver-authentication. Loopback only; the real client
 * (@kubernetes/client-node) talks to it over HTTPS.
 */
import { KubeConfig, type V1ConfigMap, type V1SubjectAccessReviewSpec } from '@kubernetes/client-node';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeCa, makeServingCert, type KeyPairPem } from './pki.js';

export interface ReviewedUser {
  readonly username: string;
  readonly groups?: readonly string[];
  readonly uid?: string;
}

export interface FakeApiServerOptions {
  /** token → user; other tokens are not authenticated. */
  readonly tokens?: Readonly<Record<string, ReviewedUser>>;
  /** Decides SubjectAccessReviews; default: deny. */
  readonly authorize?: (spec: V1SubjectAccessReviewSpec) => { allowed: boolean; reason?: string };
  readonly configMap?: V1ConfigMap;
}

export interface FakeApiServer {
  readonly url: string;
  readonly ca: KeyPairPem;
  /** A KubeConfig for @kubernetes/client-node pointing at this server. */
  kubeConfig(): KubeConfig;
  readonly tokenReviews: string[];
  readonly accessReviews: V1SubjectAccessReviewSpec[];
  /**
   * Makes TokenReview and SubjectAccessReview misbehave: 'hang' never answers, 'error' answers 500
   * after 1 s with a body and header that must not reach the adapter's clients; null answers normally.
   */
  reviewFault: 'hang' | 'error' | null;
  /** Replaces the ConfigMap and sends MODIFIED to every open watch. */
  updateConfigMap(configMap: V1ConfigMap): void;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

function reply(res: ServerResponse, code: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const ca = makeCa('fake-apiserver-ca');
  const serving = makeServingCert(ca);
  const tokenReviews: string[] = [];
  const accessReviews: V1SubjectAccessReviewSpec[] = [];
  let configMap = options.configMap;
  let version = 1;
  const watchers = new Set<ServerResponse>();

  const hanging = new Set<ServerResponse>();
  const misbehave = (res: ServerResponse): boolean => {
    if (fake.reviewFault === 'hang') {
      hanging.add(res);
      return true;
    }
    if (fake.reviewFault === 'error') {
      // Slowly, as an overloaded apiserver fails: identical requests meanwhile must wait for this one.
      setTimeout(() => {
        res.writeHead(500, { 'content-type': 'application/json', 'x-internal-detail': 'apiserver-internal-header' });
        res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 500, message: 'etcdserver: apiserver-internal-detail' }));
      }, 1_000);
      return true;
    }
    return false;
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://fake');
    if (req.method === 'POST' && url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews') {
      const review = await body(req);
      const token = String((review['spec'] as { token?: string }).token);
      tokenReviews.push(token);
      if (misbehave(res)) return;
      const user = options.tokens?.[token];
      const status = user
        ? { authenticated: true, user: { username: user.username, uid: user.uid, groups: user.groups ?? [] } }
        : { authenticated: false, error: 'token not recognized' };
      return reply(res, 201, { ...review, status });
    }
    if (req.method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
      const review = await body(req);
      const spec = review['spec'] as V1SubjectAccessReviewSpec;
      accessReviews.push(spec);
      if (misbehave(res)) return;
      const decision = options.authorize?.(spec) ?? { allowed: false, reason: 'no RBAC policy matched' };
      return reply(res, 201, { ...review, status: decision });
    }
    const configMapsPath = '/api/v1/namespaces/kube-system/configmaps';
    if (req.method === 'GET' && url.pathname === `${configMapsPath}/extension-apiserver-authentication`) {
      return configMap
        ? reply(res, 200, configMap)
        : reply(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
    }
    if (req.method === 'GET' && url.pathname === configMapsPath && url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      watchers.add(res);
      res.on('close', () => watchers.delete(res));
      if (configMap && !url.searchParams.get('resourceVersion')) res.write(JSON.stringify({ type: 'ADDED', object: configMap }) + '\n');
      return;
    }
    reply(res, 404, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: `fake apiserver: ${req.method} ${url.pathname}`,
    });
  };

  const server: Server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    handle(req, res).catch((err: unknown) => reply(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeApiServer = {
    url,
    reviewFault: null,
    ca,
    tokenReviews,
    accessReviews,
    kubeConfig: () => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'fake', server: url, caData: Buffer.from(ca.cert).toString('base64') }],
        users: [{ name: 'adapter', token: 'adapter-service-account-token' }],
        contexts: [{ name: 'fake', cluster: 'fake', user: 'adapter' }],
        currentContext: 'fake',
      });
      return kc;
    },
    updateConfigMap: (next) => {
      version++;
      configMap = { ...next, metadata: { ...next.metadata, resourceVersion: String(version) } };
      for (const w of watchers) w.write(JSON.stringify({ type: 'MODIFIED', object: configMap }) + '\n');
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        for (const w of watchers) w.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}
