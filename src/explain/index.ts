/** The public surface of explain/: what other folders may import. */
export { EXPLANATION_KIND, renderExplanation, type Explanation } from './document.js';
export { ReplicaEvents } from './events.js';
export { DecisionJournal } from './journal.js';
export { registerRetrainMetrics, ScorecardMetrics } from './metrics.js';
