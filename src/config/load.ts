/**
 * Reads the serve configuration file and applies command-line / environment overrides on top.
 * Overrides go through the same validation as the file, so a bad flag names itself just as a bad
 * field does.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseServeConfig, type ServeConfig } from './schema.js';
import { ConfigError } from '../core/index.js';

/** Settings that flags or environment variables may override for every application. */
export interface ConfigOverrides {
  /** Wall-clock seconds per replayed or simulated step. */
  readonly stepIntervalSeconds?: number;
  readonly fallbackPolicy?: string;
  readonly maxAgeSeconds?: number;
  /** Model folder; only with a single application (which one would it be otherwise?). */
  readonly model?: string;
}

export function loadServeConfig(path: string, overrides: ConfigOverrides = {}): ServeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  return parseServeConfig(applyOverrides(raw, overrides, path), dirname(resolve(path)), path);
}

/** Writes the overrides into the raw document before validation, so they are checked like the file. */
function applyOverrides(raw: unknown, overrides: ConfigOverrides, origin: string): unknown {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { applications?: unknown }).applications)) return raw;
  const apps = (raw as { applications: unknown[] }).applications;
  if (overrides.model !== undefined && apps.length !== 1) {
    throw new ConfigError(`--model: ${origin} has ${apps.length} applications; set each one's model in the file instead`);
  }
  const patched = apps.map((app) => {
    if (typeof app !== 'object' || app === null) return app;
    const out: Record<string, unknown> = { ...(app as Record<string, unknown>) };
    if (overrides.model !== undefined) out['model'] = resolve(overrides.model);
    if (overrides.fallbackPolicy !== undefined || overrides.maxAgeSeconds !== undefined) {
      const fallback = typeof out['fallback'] === 'object' && out['fallback'] !== null ? (out['fallback'] as Record<string, unknown>) : {};
      out['fallback'] = {
        ...fallback,
        ...(overrides.fallbackPolicy !== undefined ? { policy: overrides.fallbackPolicy } : {}),
        ...(overrides.maxAgeSeconds !== undefined ? { maxAgeSeconds: overrides.maxAgeSeconds } : {}),
      };
    }
    const source = out['source'];
    if (overrides.stepIntervalSeconds !== undefined && typeof source === 'object' && source !== null && (source as { kind?: unknown }).kind !== 'prometheus') {
      out['source'] = { ...(source as Record<string, unknown>), stepIntervalSeconds: overrides.stepIntervalSeconds };
    }
    return out;
  });
  return { ...(raw as Record<string, unknown>), applications: patched };
}
