/**
 * One request, start to answer, without sockets: authenticate, authorize, route. The HTTPS server
 * feeds it; the fuzz test drives it directly. Synchronous while certificates and reviews are
 * cached, so the hot path allocates no promises.
 */
import { ApiError, EXPLAIN_RESOURCE, type ExplanationProvider, type MetricsProvider } from './index.js';
import { answer, errorAnswer, GROUP, VERSION, type ApiAnswer, type Target } from './api.js';
import {
  type AccessAttributes,
  type AccessDecision,
  type AuthenticationSettings,
  type UserInfo,
  type AuthenticationResult,
  type Authenticator,
  type CertificateIdentity,
  type DistinctHeaders,
  forbiddenMessage,
  type Authorizer,
} from '../auth/index.js';
import type { Logger } from '../telemetry/index.js';

export interface RequestInput {
  readonly method: string;
  readonly target: Target;
  /** Request headers, repeated ones kept apart, names lowercase. */
  readonly headers: DistinctHeaders;
  /** What the connection's client certificate proved under `settings`. */
  readonly certificate: CertificateIdentity;
  readonly settings: AuthenticationSettings;
}

export type Gate = { readonly user: UserInfo } | { readonly denied: ApiAnswer };

export function accessAttributes(target: Target, method: string): AccessAttributes {
  if (target.route === 'metric') {
    return { kind: 'resource', namespace: target.namespace, verb: 'list', group: GROUP, version: VERSION, resource: target.metric };
  }
  if (target.route === 'explain') {
    // As the aggregator's RequestInfo sees the path: a collection is list, a named item get.
    return {
      kind: 'resource',
      namespace: target.namespace,
      verb: target.service === undefined ? 'list' : 'get',
      group: GROUP,
      version: VERSION,
      resource: EXPLAIN_RESOURCE,
    };
  }
  // HEAD and OPTIONS read what GET reads: authorized as get, so neither is a way around RBAC.
  const verb = method === 'HEAD' || method === 'OPTIONS' ? 'get' : method.toLowerCase();
  return { kind: 'nonResource', path: target.path, verb };
}

const then = <T, U>(value: T | Promise<T>, next: (v: T) => U | Promise<U>): U | Promise<U> => (value instanceof Promise ? value.then(next) : next(value));

export class ApiHandler {
  constructor(
    private readonly provider: MetricsProvider,
    private readonly authenticator: Authenticator,
    private readonly authorizer: Authorizer,
    private readonly logger: Logger,
    private readonly explainer?: ExplanationProvider,
  ) {}

  private readonly internalError = (err: unknown): void => {
    this.logger.error('request failed', { error: err instanceof Error ? err.message : String(err) });
  };

  private internalAnswer(err: unknown, what: string): ApiAnswer {
    this.internalError(err);
    return errorAnswer(new ApiError(500, 'InternalError', `${what}; see the adapter log`));
  }

  /** Who is asking and may they; a denial is the answer to send. */
  gate(input: RequestInput): Gate | Promise<Gate> {
    const authenticated = this.authenticator.authenticate(input.certificate, input.headers, input.settings);
    return then(authenticated, (result: AuthenticationResult): Gate | Promise<Gate> => {
      if (!result.ok) {
        if (result.detail !== undefined)
          this.logger.warn('request not authenticated', { path: input.target.path, reason: result.reason, detail: result.detail });
        else this.logger.debug('unauthenticated request', { path: input.target.path, reason: result.reason });
        return { denied: errorAnswer(new ApiError(401, 'Unauthorized', `Unauthorized: ${result.reason}`)) };
      }
      const attributes = accessAttributes(input.target, input.method);
      const decide = (decision: AccessDecision): Gate =>
        decision.allowed
          ? { user: result.user }
          : { denied: errorAnswer(new ApiError(403, 'Forbidden', forbiddenMessage(result.user, attributes, decision.reason))) };
      const decision = this.authorizer.authorize(result.user, attributes);
      if (!(decision instanceof Promise)) return decide(decision);
      return decision.then(decide, (err: unknown) => ({ denied: this.internalAnswer(err, 'authorization check (SubjectAccessReview) failed') }));
    });
  }

  /** The full answer; never rejects (a failure is a 500 Status, logged). */
  handle(input: RequestInput): ApiAnswer | Promise<ApiAnswer> {
    const respond = (g: Gate): ApiAnswer =>
      'denied' in g ? g.denied : answer(input.target, input.method, input.headers['accept']?.join(', '), this.provider, this.internalError, this.explainer);
    try {
      const g = this.gate(input);
      return g instanceof Promise ? g.then(respond, (err: unknown) => this.internalAnswer(err, 'authentication failed')) : respond(g);
    } catch (err) {
      return this.internalAnswer(err, 'request handling failed');
    }
  }
}
