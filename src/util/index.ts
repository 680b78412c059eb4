/** Plumbing with no project imports: atomic writes, progress bars, the seeded PRNG. */
export { writeDirAtomic, writeFileAtomic } from './atomic-write.js';
export { progressBar, type Progress } from './progress.js';
export { quoteInput } from './quote.js';
export { createRandom, deriveSeed, type Random } from './random.js';
export { TimeoutError, withTimeout } from './timeout.js';
