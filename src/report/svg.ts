/**
 * Dependency-free SVG charts for reports: line charts (several series, axes, legend) and heatmaps.
 * Each function returns the SVG text; `writeSvg` stores it atomically. NaN values are gaps in a line.
 */
import { writeFileAtomic } from '../util/index.js';

export interface LineSeries {
  readonly name: string;
  readonly values: ArrayLike<number>;
  /** x per value; defaults to 0, 1, 2, … */
  readonly x?: ArrayLike<number>;
  /** CSS colour; defaults to the palette in order. */
  readonly color?: string;
  readonly dashed?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly width?: number;
  readonly height?: number;
  /** Draw each data point as a dot (for sparse series such as frontiers). */
  readonly markers?: boolean;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const MARGIN = { left: 64, right: 16, top: 32, bottom: 44 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function formatTick(v: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

function* seriesX(s: LineSeries): Iterable<number> {
  for (let i = 0; i < s.values.length; i++) yield s.x ? s.x[i]! : i;
}

function* seriesY(s: LineSeries): Iterable<number> {
  for (let i = 0; i < s.values.length; i++) yield s.values[i]!;
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Width of `text` at font-size 11 in a sans-serif font, generously (no font metrics here). */
const textWidth = (text: string): number => Math.ceil(text.length * 6.8);
const LEGEND_ROW = 14;
const LEGEND_SWATCH = 24;

/**
 * A line chart with axes, ticks, axis labels and a legend to the right of the plot, where it can
 * never cover the data; the plot gives up the room the longest name needs. A series with a single
 * point (or a run of one point between gaps) is drawn as a dot, not an invisible zero-length line.
 */
export function lineChartSvg(series: readonly LineSeries[], options: ChartOptions): string {
  const width = options.width ?? 720;
  const legendW = series.length === 0 ? 0 : LEGEND_SWATCH + Math.max(...series.map((s) => textWidth(s.name))) + 8;
  const height = Math.max(options.height ?? 320, MARGIN.top + series.length * LEGEND_ROW + 8 + MARGIN.bottom);
  const plotW = Math.max(80, width - MARGIN.left - MARGIN.right - legendW);
  const svgWidth = MARGIN.left + plotW + MARGIN.right + legendW;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const [x0, x1] = extent(series.flatMap((s) => [...seriesX(s)]));
  const [y0, y1] = extent(series.flatMap((s) => [...seriesY(s)]));
  const px = (x: number): number => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number): number => MARGIN.top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const body: string[] = [];
  for (const t of niceTicks(y0, y1)) {
    body.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${MARGIN.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(x0, x1)) {
    body.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" stroke="black"/>`);
    body.push(`<text x="${px(t).toFixed(1)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  body.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="black"/>`);
  if (options.xLabel) body.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) {
    body.push(`<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  }
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    // A NaN ends one polyline and the next finite value starts another, so gaps stay visible.
    const segments: string[][] = [[]];
    const xs = [...seriesX(s)];
    for (let k = 0; k < s.values.length; k++) {
      const y = s.values[k]!;
      if (Number.isFinite(y) && Number.isFinite(xs[k]!)) segments[segments.length - 1]!.push(`${px(xs[k]!).toFixed(1)},${py(y).toFixed(1)}`);
      else if (segments[segments.length - 1]!.length > 0) segments.push([]);
    }
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    for (const points of segments.filter((p) => p.length > 0)) {
      if (points.length === 1 && !options.markers) {
        const [cx, cy] = points[0]!.split(',');
        body.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
      } else {
        body.push(`<polyline fill="none" stroke="${color}" stroke-width="1.3"${dash} points="${points.join(' ')}"/>`);
      }
    }
    if (options.markers) {
      for (let k = 0; k < s.values.length; k++) {
        const y = s.values[k]!;
        if (Number.isFinite(y) && Number.isFinite(xs[k]!)) body.push(`<circle cx="${px(xs[k]!).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
      }
    }
    const ly = MARGIN.top + 10 + i * LEGEND_ROW;
    const lx = MARGIN.left + plotW + MARGIN.right;
    body.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`);
    body.push(`<text x="${lx + LEGEND_SWATCH}" y="${ly}">${escapeXml(s.name)}</text>`);
  });
  return frame(svgWidth, height, options.title, body);
}

export interface HeatmapOptions extends ChartOptions {
  /** Digits printed in each cell; omit to print none. */
  readonly cellDigits?: number;
}

/** A heatmap of a row-major rows × cols matrix, white (min) to dark blue (max), with labels. */
export function heatmapSvg(matrix: ArrayLike<number>, rowLabels: readonly string[], colLabels: readonly string[], options: HeatmapOptions): string {
  const rows = rowLabels.length;
  const cols = colLabels.length;
  if (matrix.length !== rows * cols) throw new Error(`heatmap: matrix has ${matrix.length} values, expected ${rows} × ${cols}`);
  const labelW = 8 + 7 * Math.max(4, ...rowLabels.map((l) => l.length));
  const labelH = 8 + 7 * Math.max(4, ...colLabels.map((l) => l.length));
  const cell = Math.max(14, Math.min(48, Math.floor(((options.width ?? 640) - labelW - 20) / Math.max(1, cols))));
  const width = options.width ?? labelW + cell * cols + 20;
  const height = options.height ?? MARGIN.top + labelH + cell * rows + 20;
  const [lo, hi] = extent(Array.from(matrix));
  const body: string[] = [];
  const top = MARGIN.top + labelH;
  for (let j = 0; j < cols; j++) {
    const x = labelW + j * cell + cell / 2;
    body.push(`<text transform="translate(${x} ${top - 4}) rotate(-60)">${escapeXml(colLabels[j]!)}</text>`);
  }
  for (let i = 0; i < rows; i++) {
    body.push(`<text x="${labelW - 4}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(rowLabels[i]!)}</text>`);
    for (let j = 0; j < cols; j++) {
      const v = matrix[i * cols + j]!;
      const share = Number.isFinite(v) ? (v - lo) / (hi - lo) : 0;
      const shade = (c: number): number => Math.round(255 - share * (255 - c));
      const fill = Number.isFinite(v) ? `rgb(${shade(8)},${shade(48)},${shade(107)})` : '#f0f0f0';
      const x = labelW + j * cell;
      const y = top + i * cell;
      body.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ddd"><title>${escapeXml(`${rowLabels[i]} → ${colLabels[j]}: ${v}`)}</title></rect>`,
      );
      if (options.cellDigits !== undefined && Number.isFinite(v)) {
        const ink = share > 0.5 ? 'white' : 'black';
        body.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="9" fill="${ink}">${v.toFixed(options.cellDigits)}</text>`);
      }
    }
  }
  if (options.xLabel) body.push(`<text x="${labelW + (cell * cols) / 2}" y="${height - 4}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel)
    body.push(`<text transform="translate(12 ${top + (cell * rows) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  return frame(width, height, options.title, body);
}

/** Writes an SVG file atomically (a reader never sees half a chart). */
export function writeSvg(path: string, svg: string): void {
  writeFileAtomic(path, svg);
}
