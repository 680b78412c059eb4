/**
 * The vocabulary every stage shares: frames and features with their units, the MetricsSource
 * contract, milli-unit quantities, and the configuration validators (and zod schema checks) whose errors name the field.
 */
export {
  ALL_FEATURES,
  FEATURE_UNITS,
  frameValue,
  isFeature,
  SourceError,
  type Feature,
  type Frame,
  type MetricsSource,
  type ProgressCallback,
  type SourceFailureKind,
} from './frame.js';
export { milli, milliToQuantity } from './quantity.js';
export { withinTolerance } from './tolerance.js';
export {
  ConfigError,
  expectArray,
  expectBoolean,
  expectNumber,
  expectObject,
  expectOneOf,
  expectString,
  optionalNumber,
  optionalString,
  Problems,
  rejectUnknownKeys,
  stepIntervalSeconds,
  type NumberRule,
  describe,
} from './validate.js';
export { checkSchema, fieldPath, text } from './schema-check.js';
