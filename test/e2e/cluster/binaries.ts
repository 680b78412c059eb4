/**
 * Where the e2e test finds its real binaries. build.sh builds/unpacks them into a cache outside
 * the repository (so a warm CI run costs seconds); this module only locates them and says clearly
 * what to run when they are missing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, debianBinary } from '../../support/debian.js';

export type BinaryName = 'kube-apiserver' | 'kube-controller-manager' | 'etcd' | 'kubectl' | 'prometheus' | 'promtool';

const ALL: readonly BinaryName[] = ['kube-apiserver', 'kube-controller-manager', 'etcd', 'kubectl', 'prometheus', 'promtool'];

/** Same default as build.sh: `${DEEPSCALER_CACHE:-$HOME/.cache/deepscaler}/kube-v1.20/bin`. */
export function binDir(): string {
  return join(CACHE_DIR, 'kube-v1.20', 'bin');
}

/** Debian package of each binary that ships in one (kube-apiserver and kube-controller-manager do not). */
const PACKAGE: Partial<Record<BinaryName, string>> = {
  etcd: 'etcd-server',
  kubectl: 'kubernetes-client',
  prometheus: 'prometheus',
  promtool: 'prometheus',
};

export function binary(name: BinaryName): string {
  const path = join(binDir(), name);
  if (existsSync(path)) return path;
  // Tools that ship in a binary package can come from the shared Debian cache the integration
  // tests use too; only the two control-plane binaries need build.sh.
  const pkg = PACKAGE[name];
  if (pkg !== undefined) return debianBinary(pkg, name);
  throw new Error(`e2e: ${name} not found at ${path}; run \`bash test/e2e/cluster/build.sh\` first (cold build 10-15 min, then cached)`);
}

/** Names of the binaries that are not cached yet (empty when the e2e test can run). */
export function missingBinaries(): BinaryName[] {
  return ALL.filter((b) => !existsSync(join(binDir(), b)) && PACKAGE[b] === undefined);
}
