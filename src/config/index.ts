/** The serve configuration: the YAML file, its overrides from flags, and its parsed form. */
export { loadServeConfig, type ConfigOverrides } from './load.js';
export { DEFAULT_LOOK_AHEAD, DEFAULT_RISK, lookAheadBaseSeconds, parseServeConfig, servicePolicy, type ApplicationConfig, type ServeConfig } from './schema.js';
