/**
 * Kubernetes Quantity strings from milli-units: "7", "7500m", "-250m". Never a number, never an
 * exponent, at most milli precision (the HPA reads MilliValue(), which rounds up — so do we).
 */
export function milliToQuantity(milli: number): string {
  if (!Number.isFinite(milli)) throw new RangeError(`cannot render ${milli} as a Quantity`);
  const whole = Math.ceil(milli);
  if (!Number.isSafeInteger(whole)) throw new RangeError(`cannot render ${milli} milli-units as a Quantity: out of range`);
  if (whole === 0) return '0';
  return whole % 1000 === 0 ? String(whole / 1000) : `${whole}m`;
}
