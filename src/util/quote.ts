/**
 * Client input echoed in an error message, quoted and cut: a 10 kB selector or name must not come
 * back as a 10 kB (or, echoed twice, 20 kB) message. The cut says how long the input was.
 */
const MAX_ECHO = 100;

export function quoteInput(text: string, max = MAX_ECHO): string {
  return text.length <= max ? `"${text}"` : `"${text.slice(0, max)}…" (${text.length} characters)`;
}
