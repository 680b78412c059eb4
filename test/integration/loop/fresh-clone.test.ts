/**
 * SLOW, OPT-IN: the README's two commands in a fresh clone — `npm ci`, then `npm start` — until
 * the curl line it prints answers with live predicted replicas; then stop it with SIGTERM.
 * Runs only with DEEPSCALER_FRESH_CLONE=1 (a CI step, not `npm test`: it installs packages and
 * tests what is committed, not the working tree). Uses the npm cache; no network needed once warm.
 */
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const enabled = process.env['DEEPSCALER_FRESH_CLONE'] === '1';

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, output: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output.join('')}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString());
      const line = output
        .join('')
        .split('\n')
        .find((l) => pattern.test(l.trim()));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}; output:\n${output.join('')}`)));
  });
}

(enabled ? describe : describe.skip)('fresh clone: npm ci && npm start serve live predicted replicas (DEEPSCALER_FRESH_CLONE=1)', function () {
  this.timeout(15 * 60_000);
  let dir = '';
  let child: ChildProcess | null = null;

  after(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the printed curl line returns the desired replicas of every service, with timestamps that advance', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-fresh-clone-'));
    execFileSync('git', ['clone', '--quiet', REPO, dir], { stdio: 'inherit' });
    execFileSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
    // Port 0: a free port, so the test never collides with a running adapter; the lines show the real one.
    child = spawn('npm', ['start', '--', '--secure-port', '0', '--grpc-port', '0'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const curl = await waitForLine(child, /^curl -sk .*deepscaler_desired_replicas$/, 10 * 60_000, output);
    const read = (): { items: { metricLabels: { service: string }; timestamp: string; value: string }[] } =>
      JSON.parse(execFileSync('sh', ['-c', curl], { cwd: dir, encoding: 'utf8' })) as ReturnType<typeof read>;
    const first = read();
    expect(first.items).to.have.length(10);
    await new Promise((r) => setTimeout(r, 4000));
    const second = read();
    expect(Date.parse(second.items[0]!.timestamp)).to.be.greaterThan(Date.parse(first.items[0]!.timestamp));
    for (const item of second.items) expect(Number(item.value)).to.be.at.least(1);

    // SIGTERM to the group (npm and the server); 'close' waits for the server's output to end too.
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise<void>((resolve) => child!.on('close', () => resolve()));
    expect(output.join('')).to.contain('"msg":"stopped"');
  });
});
