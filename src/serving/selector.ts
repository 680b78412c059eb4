/**
 * Kubernetes label selectors (the `labelSelector` query parameter), the grammar of
 * k8s.io/apimachinery/pkg/labels.Parse: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
 * `k` (exists), `!k` (does not exist), joined by `,` (AND). Anything else is a 400 naming the problem.
 */
import { ApiError, type LabelMatcher } from './index.js';
import { quoteInput } from '../util/index.js';

export type Operator = 'exists' | 'doesNotExist' | 'equals' | 'notEquals' | 'in' | 'notIn';

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: ReadonlySet<string>;
}

type TokenKind = 'identifier' | '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '<' | '>' | 'end';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly position: number;
}

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (SPECIAL.has(c)) {
      const two = text.slice(i, i + 2);
      if (two === '!=' || two === '==') {
        tokens.push({ kind: two, text: two, position: i });
        i += 2;
      } else {
        tokens.push({ kind: c as TokenKind, text: c, position: i });
        i++;
      }
      continue;
    }
    const start = i;
    while (i < text.length && !isSpace(text[i]!) && !SPECIAL.has(text[i]!)) i++;
    tokens.push({ kind: 'identifier', text: text.slice(start, i), position: start });
  }
  tokens.push({ kind: 'end', text: '', position: text.length });
  return tokens;
}

const NAME = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const NAME_RULE = 'at most 63 characters: letters, digits, "-", "_", ".", starting and ending with a letter or digit';

/** Why `key` is not a valid label key, or null when it is. */
export function labelKeyProblem(key: string): string | null {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return `prefix ${quoteInput(prefix)} must be a DNS subdomain (lowercase letters, digits, "-", ".", at most 253 characters)`;
    }
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) return `name ${quoteInput(name)} must have ${NAME_RULE}`;
  return null;
}

/** Why `value` is not a valid label value, or null when it is (empty is valid). */
export function labelValueProblem(value: string): string | null {
  if (value === '') return null;
  return value.length > 63 || !NAME.test(value) ? `value ${quoteInput(value)} must be empty or have ${NAME_RULE}` : null;
}

class Parser {
  private index = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    return this.tokens[this.index++]!;
  }

  // The selector is echoed once, cut (util/quote.ts); tokens inside the problem are cut too.
  private fail(problem: string): never {
    throw new ApiError(400, 'BadRequest', `invalid labelSelector ${quoteInput(this.source)}: ${problem}`);
  }

  private unexpected(token: Token, expected: string): never {
    const found = token.kind === 'end' ? 'end of selector' : `${quoteInput(token.text)} at position ${token.position}`;
    return this.fail(`found ${found}, expected ${expected}`);
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    if (this.peek().kind === 'end') return requirements;
    for (;;) {
      requirements.push(this.requirement());
      const token = this.next();
      if (token.kind === 'end') return requirements;
      if (token.kind !== ',') this.unexpected(token, '"," or end of selector');
    }
  }

  private key(): string {
    const token = this.next();
    if (token.kind !== 'identifier') this.unexpected(token, 'a label key');
    const problem = labelKeyProblem(token.text);
    if (problem) this.fail(`invalid key: ${problem}`);
    return token.text;
  }

  private value(token: Token): string {
    const problem = labelValueProblem(token.text);
    if (problem) this.fail(`invalid value for key: ${problem}`);
    return token.text;
  }

  private requirement(): Requirement {
    if (this.peek().kind === '!') {
      this.next();
      return { key: this.key(), operator: 'doesNotExist', values: new Set() };
    }
    const key = this.key();
    const op = this.peek();
    if (op.kind === ',' || op.kind === 'end') return { key, operator: 'exists', values: new Set() };
    this.next();
    switch (op.kind) {
      case '=':
      case '==':
      case '!=':
        return { key, operator: op.kind === '!=' ? 'notEquals' : 'equals', values: new Set([this.exactValue()]) };
      case 'identifier':
        if (op.text === 'in' || op.text === 'notin') return { key, operator: op.text === 'in' ? 'in' : 'notIn', values: this.valueSet() };
        break;
      case '<':
      case '>':
        return this.fail(`operator "${op.text}" at position ${op.position} is not supported by external metrics selectors`);
    }
    return this.unexpected(op, 'one of "=", "==", "!=", "in", "notin", "," or end of selector');
  }

  /** The value after `=`, `==` or `!=`; nothing before `,` or the end means the empty value. */
  private exactValue(): string {
    const token = this.peek();
    if (token.kind === ',' || token.kind === 'end') return '';
    this.next();
    if (token.kind !== 'identifier') this.unexpected(token, 'a label value');
    return this.value(token);
  }

  /** `( v1, v2, … )`; empty entries are empty values, as in Kubernetes. */
  private valueSet(): Set<string> {
    const open = this.next();
    if (open.kind !== '(') this.unexpected(open, '"("');
    const values = new Set<string>();
    for (;;) {
      let token = this.next();
      if (token.kind === 'identifier') {
        values.add(this.value(token));
        token = this.next();
      } else {
        values.add('');
      }
      if (token.kind === ')') return values;
      if (token.kind !== ',') this.unexpected(token, '"," or ")"');
    }
  }
}

export function parseRequirements(selector: string): Requirement[] {
  return new Parser(selector, tokenize(selector)).parse();
}

function matchesRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const present = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'exists':
      return present;
    case 'doesNotExist':
      return !present;
    case 'equals':
    case 'in':
      return present && r.values.has(labels[r.key]!);
    case 'notEquals':
    case 'notIn':
      return !present || !r.values.has(labels[r.key]!);
  }
}

const matchEverything: LabelMatcher = () => true;

// HPAs ask with the same few selectors every sync: parse each once. Bounded, oldest dropped first.
const parsed = new Map<string, LabelMatcher>();
const MAX_PARSED = 1000;

/** A matcher for `selector` (absent or empty: everything); throws ApiError 400 naming the problem. */
export function parseLabelSelector(selector: string | undefined): LabelMatcher {
  if (selector === undefined) return matchEverything;
  const known = parsed.get(selector);
  if (known) return known;
  const requirements = parseRequirements(selector);
  const matcher: LabelMatcher = requirements.length === 0 ? matchEverything : (labels) => requirements.every((r) => matchesRequirement(r, labels));
  if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value as string);
  parsed.set(selector, matcher);
  return matcher;
}
