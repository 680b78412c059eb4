/** The real kubectl (Debian's 1.20 client) against the loopback control plane. */
import { execFile } from 'node:child_process';
import { binary } from './binaries.js';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl; never throws on a non-zero exit (tests assert on failures too). */
export function kubectl(kubeconfig: string, args: readonly string[], input?: string, timeoutMs = 60_000): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary('kubectl'),
      [`--kubeconfig=${kubeconfig}`, ...args],
      { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err !== null && typeof (err as NodeJS.ErrnoException).code === 'string') {
          reject(new Error(`e2e: could not run kubectl ${args.join(' ')}: ${err.message}`));
          return;
        }
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) {
      child.stdin?.end(input);
    }
  });
}

/** Like kubectl(), but throws with stderr when the command fails. */
export async function kubectlOk(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  const r = await kubectl(kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`e2e: kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}
