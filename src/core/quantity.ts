/**
 * Kubernetes Quantity strings from milli-units: "7", "7500m", "-250m". Never a number, never an
 * exponent, at most milli precision (the HPA reads MilliValue(), which rounds up — so do we).
 */
/**
 * A value in milli-units as the HPA controller reads it: Quantity.MilliValue() rounds up. Rounding
 * to a micro-unit first forgives float noise (0.1 × 3 must not read as 301m). The API renders
 * with it and the simulated HPA (sim/hpa.ts) reads with it, so what is served is what is assumed.
 */
export function milli(x: number): number {
  return Math.ceil(Math.round(x * 1e6) / 1e3);
}

export function milliToQuantity(milli: number): string {
  if (!Number.isFinite(milli)) throw new RangeError(`cannot render ${milli} as a Quantity`);
  const whole = Math.ceil(milli);
  if (!Number.isSafeInteger(whole)) throw new RangeError(`cannot render ${milli} milli-units as a Quantity: out of range`);
  if (whole === 0) return '0';
  return whole % 1000 === 0 ? String(whole / 1000) : `${whole}m`;
}
