/**
 * Small validators for configuration read from YAML/JSON/flags. Every error names the field
 * (a dotted path such as `applications[0].capacity.targetUtilization`) and says what was expected.
 */

export class ConfigError extends Error {
  /** Each problem on its own (one, or several collected by `Problems`). */
  readonly problems: readonly string[];

  constructor(message: string, problems?: readonly string[]) {
    super(message);
    this.name = 'ConfigError';
    this.problems = problems ?? [message];
  }
}

/**
 * Collects configuration problems so that one start-up names every bad field, not just the first:
 * each field is parsed through `take`, which records a ConfigError and goes on with a stand-in.
 */
export class Problems {
  private readonly list: string[] = [];

  take<T>(parse: () => T, standIn: T): T {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.list.push(...err.problems);
      return standIn;
    }
  }

  add(message: string): void {
    this.list.push(message);
  }

  get count(): number {
    return this.list.length;
  }

  /** Throws one ConfigError listing every problem, if there is any. */
  throwIfAny(): void {
    if (this.list.length === 1) throw new ConfigError(this.list[0]!);
    if (this.list.length > 1) throw new ConfigError(`${this.list.length} problems:\n  - ${this.list.join('\n  - ')}`, this.list);
  }
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value as an error message shows it: `"text"`, `a list`, `nothing`, … */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${path}: expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(`${path}: expected a list, got ${describe(value)}`);
  return value;
}

export function expectString(value: unknown, path: string, options: { pattern?: RegExp; hint?: string } = {}): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigError(`${path}: expected a non-empty string, got ${describe(value)}`);
  }
  if (options.pattern && !options.pattern.test(value)) {
    throw new ConfigError(`${path}: "${value}" is not valid${options.hint ? ` (${options.hint})` : ''}`);
  }
  return value;
}

export function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || value === null ? undefined : expectString(value, path);
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
}

export function expectNumber(value: unknown, path: string, rule: NumberRule = {}): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new ConfigError(`${path}: expected a number, got ${describe(value)}`);
  }
  if (rule.integer && !Number.isInteger(n)) throw new ConfigError(`${path}: expected a whole number, got ${n}`);
  if (rule.min !== undefined && n < rule.min) throw new ConfigError(`${path}: must be at least ${rule.min}, got ${n}`);
  if (rule.max !== undefined && n > rule.max) throw new ConfigError(`${path}: must be at most ${rule.max}, got ${n}`);
  return n;
}

export function optionalNumber(value: unknown, path: string, rule: NumberRule = {}): number | undefined {
  return value === undefined || value === null ? undefined : expectNumber(value, path, rule);
}

export function expectBoolean(value: unknown, path: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(`${path}: expected true or false, got ${describe(value)}`);
}

export function expectOneOf<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${path}: expected one of ${choices.map((c) => `"${c}"`).join(', ')}, got ${describe(value)}`);
}

/** `stepIntervalSeconds` of a replayed or simulated source: wall-clock seconds per step (default: a step every 3 s). */
export function stepIntervalSeconds(block: Readonly<Record<string, unknown>>, path: string): number {
  return optionalNumber(block['stepIntervalSeconds'], `${path}.stepIntervalSeconds`, { min: 0.05 }) ?? 3;
}

/** Rejects keys the schema does not know, so a typo fails at start-up instead of being ignored. */
export function rejectUnknownKeys(obj: Record<string, unknown>, path: string, known: readonly string[]): void {
  const unknown = Object.keys(obj).filter((key) => !known.includes(key));
  const problems = unknown.map((key) => `${path}.${key}: unknown field (known: ${known.join(', ')})`);
  if (problems.length === 1) throw new ConfigError(problems[0]!);
  if (problems.length > 1) throw new ConfigError(problems.join('; '), problems);
}
