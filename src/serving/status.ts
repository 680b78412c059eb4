/** Kubernetes `Status` bodies: every non-2xx answer of the API is one. */
import type { StatusReason } from './index.js';

export function statusBody(code: number, reason: StatusReason, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}
