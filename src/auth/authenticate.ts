/**
 * Who is asking, in the order Kubernetes' delegating authenticator uses: front-proxy certificate
 * + X-Remote-* headers, client certificate (CN/O), bearer token (TokenReview), else anonymous.
 * A credential that was presented and failed is a 401, never a quiet fall back to anonymous.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { ANONYMOUS, type AuthenticationSettings, type TokenReviewer, type TokenReviewResult, type UserInfo } from './index.js';
import { TtlCache } from './cache.js';
import { DEFAULT_REVIEW_TIMEOUT_MS, InflightReviews } from './inflight.js';
import { chainProblem, subjectNames } from './x509.js';

/** What the connection's certificate proves; computed once per connection and settings. */
export type CertificateIdentity =
  | { readonly kind: 'none' }
  | { readonly kind: 'front-proxy'; readonly commonName: string }
  | { readonly kind: 'client'; readonly user: UserInfo }
  | { readonly kind: 'rejected'; readonly reason: string };

export type AuthenticationResult =
  | { readonly ok: true; readonly user: UserInfo; readonly method: 'front-proxy' | 'client-certificate' | 'token' | 'anonymous' }
  /** `reason` goes to the client; `detail` (what the apiserver said) only to the log. */
  | { readonly ok: false; readonly reason: string; readonly detail?: string };

/** Request headers with repeated headers kept apart (Node's `req.headersDistinct`), names lowercase. */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

const AUTHENTICATED = 'system:authenticated';

function withAuthenticatedGroup(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED) ? user : { ...user, groups: [...user.groups, AUTHENTICATED] };
}

export function classifyCertificate(chain: readonly X509Certificate[], settings: AuthenticationSettings, now = Date.now()): CertificateIdentity {
  if (chain.length === 0) return { kind: 'none' };
  const names = subjectNames(chain[0]!);
  const requestHeader = settings.requestHeader;
  if (requestHeader && chainProblem(chain, requestHeader.clientCA, now) === null) {
    if (requestHeader.allowedNames.length > 0 && !requestHeader.allowedNames.includes(names.commonName)) {
      return { kind: 'rejected', reason: `front-proxy certificate CN "${names.commonName}" is not in requestheader-allowed-names` };
    }
    return { kind: 'front-proxy', commonName: names.commonName };
  }
  const problem = chainProblem(chain, settings.clientCA, now);
  if (problem !== null) return { kind: 'rejected', reason: problem };
  if (names.commonName === '') return { kind: 'rejected', reason: 'client certificate has no common name' };
  return { kind: 'client', user: withAuthenticatedGroup({ username: names.commonName, groups: names.organizations, extra: {} }) };
}

function firstValue(headers: DistinctHeaders, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = headers[name]?.find((v) => v !== '');
    if (value !== undefined) return value;
  }
  return undefined;
}

function decodeExtraKey(raw: string): string {
  try {
    return decodeURIComponent(raw).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** Identity from the front proxy's headers; null when it sent no user name (then other methods apply). */
export function userFromHeaders(headers: DistinctHeaders, settings: NonNullable<AuthenticationSettings['requestHeader']>): UserInfo | null {
  const username = firstValue(headers, settings.usernameHeaders);
  if (username === undefined) return null;
  const groups = settings.groupHeaders.flatMap((name) => headers[name] ?? []);
  const extra: Record<string, string[]> = {};
  for (const name in headers) {
    const prefix = settings.extraHeaderPrefixes.find((p) => name.startsWith(p));
    const values = headers[name];
    if (prefix === undefined || values === undefined || name.length === prefix.length) continue;
    const key = decodeExtraKey(name.slice(prefix.length));
    extra[key] = [...(extra[key] ?? []), ...values];
  }
  return withAuthenticatedGroup({ username, groups, extra });
}

function bearerToken(headers: DistinctHeaders): string | undefined {
  const value = headers['authorization']?.[0];
  if (value === undefined) return undefined;
  const match = /^bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : undefined;
}

export interface AuthenticatorOptions {
  /** Null: bearer tokens are not accepted (a token is then a failed credential, 401). */
  readonly tokenReviewer: TokenReviewer | null;
  /** How long a TokenReview answer (either way) is reused; Kubernetes' default is 10 s. */
  readonly tokenCacheTtlMs?: number;
  /** How long a TokenReview may take before the request is refused (default 10 s). */
  readonly reviewTimeoutMs?: number;
}

export class Authenticator {
  private readonly tokenCache: TtlCache<TokenReviewResult>;
  private readonly reviews: InflightReviews<TokenReviewResult>;

  constructor(private readonly options: AuthenticatorOptions) {
    this.tokenCache = new TtlCache(options.tokenCacheTtlMs ?? 10_000);
    this.reviews = new InflightReviews('TokenReview', options.reviewTimeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS);
  }

  /** Synchronous unless a token must be reviewed, which keeps the cached hot path free of promises. */
  authenticate(
    certificate: CertificateIdentity,
    headers: DistinctHeaders,
    settings: AuthenticationSettings,
  ): AuthenticationResult | Promise<AuthenticationResult> {
    if (certificate.kind === 'front-proxy' && settings.requestHeader) {
      const user = userFromHeaders(headers, settings.requestHeader);
      if (user) return { ok: true, user, method: 'front-proxy' };
    }
    if (certificate.kind === 'client') return { ok: true, user: certificate.user, method: 'client-certificate' };
    const token = bearerToken(headers);
    if (token !== undefined) return this.authenticateToken(token, certificate);
    if (headers['authorization'] !== undefined) return { ok: false, reason: 'the Authorization header is not a bearer token' };
    if (certificate.kind === 'rejected') return { ok: false, reason: certificate.reason };
    return { ok: true, user: ANONYMOUS, method: 'anonymous' };
  }

  private authenticateToken(token: string, certificate: CertificateIdentity): AuthenticationResult | Promise<AuthenticationResult> {
    if (!this.options.tokenReviewer) return { ok: false, reason: 'bearer tokens are not accepted: no TokenReview client is configured' };
    const key = createHash('sha256').update(token).digest('base64');
    const cached = this.tokenCache.get(key);
    if (cached) return this.fromReview(cached, certificate);
    const reviewer = this.options.tokenReviewer;
    return this.reviews
      .ask(key, async () => {
        const result = await reviewer.review(token);
        this.tokenCache.set(key, result);
        return result;
      })
      .then(
        (result) => this.fromReview(result, certificate),
        // The apiserver's error (body, headers) is for the log, never for an unauthenticated client.
        (err: unknown) => ({
          ok: false,
          reason: 'the bearer token could not be verified (TokenReview failed); see the adapter log',
          detail: `TokenReview failed: ${(err as Error).message}`,
        }),
      );
  }

  private fromReview(result: TokenReviewResult, certificate: CertificateIdentity): AuthenticationResult {
    if (result.authenticated && result.user) return { ok: true, user: withAuthenticatedGroup(result.user), method: 'token' };
    const why = 'token not accepted';
    return {
      ok: false,
      reason: certificate.kind === 'rejected' ? `${certificate.reason}; ${why}` : why,
      ...(result.error ? { detail: `TokenReview: ${result.error}` } : {}),
    };
  }
}
