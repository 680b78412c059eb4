/**
 * A progress bar for long commands (collect, train, simulate). Draws in place on a TTY; elsewhere
 * (CI, pipes) prints a plain line at most every few seconds so logs stay readable.
 */
export interface Progress {
  update(done: number, detail?: string): void;
  finish(detail?: string): void;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  let lastPlain = 0;
  const render = (done: number, detail: string): string => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 28;
    const filled = Math.round(fraction * width);
    const elapsed = (Date.now() - started) / 1000;
    const eta = fraction > 0 && fraction < 1 ? ` eta ${Math.ceil((elapsed / fraction) * (1 - fraction))}s` : '';
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${(fraction * 100).toFixed(0)}%${eta}${detail ? ' ' + detail : ''}`;
  };
  return {
    update(done, detail = '') {
      if (stream.isTTY) {
        stream.write(`\r\x1b[K${render(done, detail)}`);
      } else if (Date.now() - lastPlain > 5000) {
        lastPlain = Date.now();
        stream.write(render(done, detail) + '\n');
      }
    },
    finish(detail = '') {
      const line = render(total, `done in ${((Date.now() - started) / 1000).toFixed(1)}s${detail ? ' ' + detail : ''}`);
      stream.write(stream.isTTY ? `\r\x1b[K${line}\n` : line + '\n');
    },
  };
}
