/**
 * May this user do this? `system:masters` always may (the aggregator's availability probe runs in
 * it); everyone else is asked of the cluster with a SubjectAccessReview, allow and deny cached.
 * `allowAll` skips all of it — local development only, and it says so in the log at start-up.
 */
import type { AccessAttributes, AccessDecision, AccessReviewer, UserInfo } from './index.js';
import { TtlCache } from './cache.js';
import { DEFAULT_REVIEW_TIMEOUT_MS, InflightReviews } from './inflight.js';

export const MASTERS = 'system:masters';

export interface AuthorizerOptions {
  /** Null: only system:masters is allowed (no cluster to ask). */
  readonly reviewer: AccessReviewer | null;
  /** DEVELOPMENT ONLY: every authenticated or anonymous request is allowed. */
  readonly allowAll: boolean;
  /** Kubernetes' delegated authorizer caches allow and deny 10 s. */
  readonly cacheTtlMs?: number;
  /** How long a SubjectAccessReview may take before the request fails (default 10 s). */
  readonly reviewTimeoutMs?: number;
}

/** NUL cannot occur in HTTP header values, so it separates the parts unambiguously. */
function cacheKey(user: UserInfo, attributes: AccessAttributes): string {
  const extra = Object.keys(user.extra).length === 0 ? '' : JSON.stringify(user.extra);
  const what =
    attributes.kind === 'resource'
      ? `${attributes.namespace}\0${attributes.verb}\0${attributes.group}\0${attributes.version}\0${attributes.resource}`
      : `${attributes.path}\0${attributes.verb}`;
  return `${user.username}\0${user.uid ?? ''}\0${user.groups.join('\0')}\0${extra}\0${attributes.kind}\0${what}`;
}

/** The `Status` message Kubernetes writes for a 403. */
export function forbiddenMessage(user: UserInfo, attributes: AccessAttributes, reason?: string): string {
  const why = reason ? `: ${reason}` : '';
  if (attributes.kind === 'nonResource') return `forbidden: User "${user.username}" cannot ${attributes.verb} path "${attributes.path}"${why}`;
  const { resource, group, verb, namespace } = attributes;
  return `${resource}.${group} is forbidden: User "${user.username}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${namespace}"${why}`;
}

export class Authorizer {
  private readonly cache: TtlCache<AccessDecision>;
  private readonly reviews: InflightReviews<AccessDecision>;

  constructor(private readonly options: AuthorizerOptions) {
    this.cache = new TtlCache(options.cacheTtlMs ?? 10_000);
    this.reviews = new InflightReviews('SubjectAccessReview', options.reviewTimeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS);
  }

  get allowsAll(): boolean {
    return this.options.allowAll;
  }

  /** Synchronous when the answer is known or cached; a review error rejects (the caller answers 500). */
  authorize(user: UserInfo, attributes: AccessAttributes): AccessDecision | Promise<AccessDecision> {
    if (this.options.allowAll) return { allowed: true, reason: 'allow-all development mode' };
    if (user.groups.includes(MASTERS)) return { allowed: true };
    if (!this.options.reviewer) return { allowed: false, reason: 'no SubjectAccessReview client is configured' };
    const key = cacheKey(user, attributes);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const reviewer = this.options.reviewer;
    return this.reviews.ask(key, async () => {
      const decision = await reviewer.review(user, attributes);
      this.cache.set(key, decision);
      return decision;
    });
  }
}
