/**
 * The process's prom-client registry. Every stage registers its own metrics here (prefix
 * `deepscaler_`); `/metrics` serves it. Tests build a fresh Registry instead of using this one.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
let defaultsOn = false;

/** Process metrics (RSS, CPU, event loop lag); called once by the serve command. */
export function enableProcessMetrics(): void {
  if (defaultsOn) return;
  collectDefaultMetrics({ register: registry });
  defaultsOn = true;
}
