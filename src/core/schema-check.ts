/**
 * Files validated with a zod schema (topology files): every problem at once, each with its path
 * (`t.yaml: services[1].cpuRequestMillicores: must be at least 1, got 0`), in the same words as
 * the hand-written validators in validate.ts. The same schema gives the JSON Schema published for
 * editors (schemas/, `npm run schemas`).
 */
import { z } from 'zod';
import { ConfigError, describe } from './validate.js';

/** `origin` + zod path → `origin.a[0].b`, or `file.yaml: a[0].b` when `origin` ends with a colon. */
export function fieldPath(origin: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key, i) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return i === 0 && out.endsWith(':') ? `${out} ${String(key)}` : `${out}.${String(key)}`;
  }, origin);
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a non-empty string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

/** One line per problem; an unknown key is its own line, naming the keys that are known. */
function messages(origin: string, issue: z.core.$ZodIssue, input: unknown): string[] {
  const at = fieldPath(origin, issue.path);
  const value = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${fieldPath(origin, [...issue.path, key])}: unknown field`);
    case 'invalid_type':
      // A removed field (z.never) says what replaced it.
      if (issue.expected === 'never') return [`${at}: ${issue.message}`];
      if (issue.expected === 'int') return [`${at}: expected a whole number, got ${describe(value)}`];
      return [`${at}: expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${describe(value)}`];
    case 'invalid_value':
      return [`${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`];
    case 'too_small':
      if (issue.origin === 'array') return [`${at}: list at least ${String(issue.minimum)}`];
      if (issue.origin === 'string') return [`${at}: expected a non-empty string, got ${describe(value)}`];
      return [`${at}: must be at least ${String(issue.minimum)}, got ${describe(value)}`];
    case 'too_big':
      return [`${at}: must be at most ${String(issue.maximum)}, got ${describe(value)}`];
    case 'invalid_key':
      return [`${at}: ${issue.issues.map((inner) => inner.message).join('; ')}`];
    case 'invalid_union':
      return [`${at}: ${issue.message}`];
    default:
      return [`${at}: ${issue.message}`];
  }
}

/** Parses or throws one ConfigError listing every problem, each with its path. */
export function checkSchema<S extends z.ZodType>(schema: S, input: unknown, origin: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap((issue) => messages(origin, issue, input));
  throw new ConfigError(lines.length === 1 ? lines[0]! : `${lines.length} problems:\n  ${lines.join('\n  ')}`, lines);
}

/** A non-empty string. */
export const text = (): z.ZodString => z.string().min(1);
