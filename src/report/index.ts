/** SVG plots and text tables for evaluate and simulate. */
export { formatEvaluation, writeEvaluationReport } from './evaluation.js';
export { lineChartSvg, writeSvg } from './svg.js';
