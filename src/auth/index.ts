/**
 * Authentication and authorization the way Kubernetes extension API servers do it: front-proxy
 * (requestheader) client certificates carrying X-Remote-* identity, client-CA certificates,
 * bearer tokens via TokenReview, then SubjectAccessReview. The API server knows only these types;
 * the cluster calls behind them live in src/kube.
 */
import type { X509Certificate } from 'node:crypto';

export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

export const ANONYMOUS: UserInfo = Object.freeze({ username: 'system:anonymous', groups: ['system:unauthenticated'], extra: {} });

export interface RequestHeaderSettings {
  /** CAs the front proxy's client certificate must chain to. */
  readonly clientCA: readonly X509Certificate[];
  /** Common names allowed to act as front proxy; empty means any certificate from `clientCA`. */
  readonly allowedNames: readonly string[];
  /** Header names, lowercase (as Node presents request headers). */
  readonly usernameHeaders: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
}

/** Everything authentication needs to know; replaced as a whole when the ConfigMap changes. */
export interface AuthenticationSettings {
  /** CAs for ordinary client certificates (user = CN, groups = O). */
  readonly clientCA: readonly X509Certificate[];
  /** Null: front-proxy authentication is off and X-Remote-* headers are never read. */
  readonly requestHeader: RequestHeaderSettings | null;
}

export const DEFAULT_REQUEST_HEADERS = {
  usernameHeaders: ['X-Remote-User'],
  groupHeaders: ['X-Remote-Group'],
  extraHeaderPrefixes: ['X-Remote-Extra-'],
} as const;

export interface TokenReviewResult {
  readonly authenticated: boolean;
  readonly user?: UserInfo;
  readonly error?: string;
}

/** authentication.k8s.io/v1 TokenReview. */
export interface TokenReviewer {
  review(token: string): Promise<TokenReviewResult>;
}

export type AccessAttributes =
  | {
      readonly kind: 'resource';
      readonly namespace: string;
      readonly verb: string;
      readonly group: string;
      readonly version: string;
      readonly resource: string;
    }
  | { readonly kind: 'nonResource'; readonly path: string; readonly verb: string };

export interface AccessDecision {
  readonly allowed: boolean;
  readonly reason?: string;
}

/** authorization.k8s.io/v1 SubjectAccessReview. */
export interface AccessReviewer {
  review(user: UserInfo, attributes: AccessAttributes): Promise<AccessDecision>;
}

/** The current authentication settings and their changes (files or the cluster's ConfigMap). */
export interface AuthenticationSource {
  current(): AuthenticationSettings;
  onChange(listener: (settings: AuthenticationSettings) => void): void;
  close(): void;
}

export { Authenticator, classifyCertificate, type AuthenticationResult, type CertificateIdentity, type DistinctHeaders } from './authenticate.js';
export { Authorizer, forbiddenMessage } from './authorize.js';
export { issueCertificate, type KeyPairPem } from './certificates.js';
export { DEFAULT_REVIEW_TIMEOUT_MS } from './inflight.js';
export { watchCertificateFile, type PemSource } from './pem-file.js';
export { acceptableCAsPem, buildAuthenticationSettings, fileAuthentication } from './settings.js';
export { ensureSelfSignedCertificate, readKeyPair, watchKeyPair, type KeyPairFiles, type KeyPairSource } from './tls.js';
export { peerChain } from './x509.js';
