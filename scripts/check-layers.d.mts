/** Types for scripts/check-layers.mjs, so its test can call it in-process. */
export declare const LAYERS: readonly (readonly string[])[];
export declare function run(argv: readonly string[]): { exitCode: number; lines: string[] };
