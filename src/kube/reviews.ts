/**
 * TokenReview and SubjectAccessReview against the cluster's apiserver (@kubernetes/client-node):
 * the delegated authentication and authorization of an extension API server. Each request is
 * aborted after the review deadline, so a hanging apiserver leaves no sockets open behind it.
 */
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  Observable,
  type ConfigurationOptions,
  type KubeConfig,
  type V1SubjectAccessReviewSpec,
} from '@kubernetes/client-node';
import {
  type AccessAttributes,
  type AccessDecision,
  type AccessReviewer,
  type TokenReviewer,
  type TokenReviewResult,
  type UserInfo,
  DEFAULT_REVIEW_TIMEOUT_MS,
} from '../auth/index.js';

/** Per-call options that abort the HTTP request after `timeoutMs`. */
function deadline(timeoutMs: number): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

export class KubeTokenReviewer implements TokenReviewer {
  private readonly api: AuthenticationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly timeoutMs = DEFAULT_REVIEW_TIMEOUT_MS,
  ) {
    this.api = kubeConfig.makeApiClient(AuthenticationV1Api);
  }

  async review(token: string): Promise<TokenReviewResult> {
    const review = await this.api.createTokenReview(
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } },
      deadline(this.timeoutMs),
    );
    const status = review.status;
    if (!status?.authenticated || !status.user?.username) {
      return { authenticated: false, ...(status?.error ? { error: status.error } : {}) };
    }
    const user: UserInfo = {
      username: status.user.username,
      ...(status.user.uid ? { uid: status.user.uid } : {}),
      groups: status.user.groups ?? [],
      extra: status.user.extra ?? {},
    };
    return { authenticated: true, user };
  }
}

export function subjectAccessReviewSpec(user: UserInfo, attributes: AccessAttributes): V1SubjectAccessReviewSpec {
  const spec: V1SubjectAccessReviewSpec = {
    user: user.username,
    groups: [...user.groups],
    extra: Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]])),
    ...(user.uid ? { uid: user.uid } : {}),
  };
  if (attributes.kind === 'nonResource') return { ...spec, nonResourceAttributes: { path: attributes.path, verb: attributes.verb } };
  const { namespace, verb, group, version, resource } = attributes;
  return { ...spec, resourceAttributes: { namespace, verb, group, version, resource } };
}

export class KubeAccessReviewer implements AccessReviewer {
  private readonly api: AuthorizationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly timeoutMs = DEFAULT_REVIEW_TIMEOUT_MS,
  ) {
    this.api = kubeConfig.makeApiClient(AuthorizationV1Api);
  }

  async review(user: UserInfo, attributes: AccessAttributes): Promise<AccessDecision> {
    const review = await this.api.createSubjectAccessReview(
      { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: subjectAccessReviewSpec(user, attributes) } },
      deadline(this.timeoutMs),
    );
    const status = review.status;
    const reason = status?.reason ?? status?.evaluationError;
    return { allowed: status?.allowed === true && status.denied !== true, ...(reason ? { reason } : {}) };
  }
}
