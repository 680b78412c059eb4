/**
 * Where the e2e test finds its real binaries. build.sh builds/unpacks them into a cache outside
 * the repository (so a warm CI run costs seconds); this module only locates them and says clearly
 * what to run when they are missing.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type BinaryName = 'kube-apiserver' | 'kube-controller-manager' | 'etcd' | 'kubectl' | 'prometheus' | 'promtool';

const ALL: readonly BinaryName[] = ['kube-apiserver', 'kube-controller-manager', 'etcd', 'kubectl', 'prometheus', 'promtool'];

/** Same default as build.sh: `${DEEPSCALER_CACHE:-$HOME/.cache/deepscaler}/kube-v1.20/bin`. */
export function binDir(): string {
  const root = process.env['DEEPSCALER_CACHE'] ?? join(homedir(), '.cache', 'deepscaler');
  return join(root, 'kube-v1.20', 'bin');
}

export function binary(name: BinaryName): string {
  const path = join(binDir(), name);
  if (!existsSync(path)) {
    throw new Error(`e2e: ${name} not found at ${path}; run \`bash test/e2e/cluster/build.sh\` first (cold build 10-15 min, then cached)`);
  }
  return path;
}

/** Names of the binaries that are not cached yet (empty when the e2e test can run). */
export function missingBinaries(): BinaryName[] {
  return ALL.filter((b) => !existsSync(join(binDir(), b)));
}
