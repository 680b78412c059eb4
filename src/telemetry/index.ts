/** Logs (JSON lines) and the Prometheus registry every component registers its metrics in. */
export { createLogger, log, type Logger } from './log.js';
export { enableProcessMetrics, registry } from './registry.js';
