/**
 * Identical questions asked while one is in flight share its answer: twenty requests with one
 * token during a slow apiserver send one TokenReview, not twenty. Each question is bounded in time.
 */
import { withTimeout } from '../util/index.js';

/** Reviews may take this long before the request is answered without them (Kubernetes' webhook default is 10 s too). */
export const DEFAULT_REVIEW_TIMEOUT_MS = 10_000;

export class InflightReviews<V> {
  private readonly inflight = new Map<string, Promise<V>>();

  constructor(
    private readonly what: string,
    private readonly timeoutMs: number,
  ) {}

  /** The pending answer for `key`, or a new one from `ask`; rejects with TimeoutError after the timeout. */
  ask(key: string, ask: () => Promise<V>): Promise<V> {
    const pending = this.inflight.get(key);
    if (pending !== undefined) return pending;
    const answer = withTimeout(ask(), this.timeoutMs, this.what).finally(() => this.inflight.delete(key));
    this.inflight.set(key, answer);
    return answer;
  }
}
