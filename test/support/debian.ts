/**
 * Real tools for integration and e2e tests, from Debian's archive: `apt-get download` + `dpkg -x`
 * into a cache folder outside the repository (never `apt-get install`: etcd's and Prometheus's
 * install scripts start system daemons). A warm cache costs nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CACHE_DIR = process.env['DEEPSCALER_CACHE'] ?? join(homedir(), '.cache', 'deepscaler');
const ROOT = join(CACHE_DIR, 'debian-root');
const DEBS = join(CACHE_DIR, 'debian-debs');

function aptListsPresent(): boolean {
  try {
    return readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages') || f.endsWith('_Packages.lz4'));
  } catch {
    return false;
  }
}

/**
 * Unpacks the named Debian packages (once) and returns the root folder they are unpacked into;
 * binaries are under `<root>/usr/bin`.
 */
export function ensureDebianPackages(packages: readonly string[]): string {
  mkdirSync(ROOT, { recursive: true });
  mkdirSync(DEBS, { recursive: true });
  for (const pkg of packages) {
    const marker = join(ROOT, `.unpacked-${pkg}`);
    if (existsSync(marker)) continue;
    if (!aptListsPresent()) execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    for (const f of readdirSync(DEBS)) if (f.startsWith(`${pkg}_`)) rmSync(join(DEBS, f));
    execFileSync('apt-get', ['download', '-qq', pkg], { cwd: DEBS, stdio: ['ignore', 'ignore', 'inherit'] });
    const deb = readdirSync(DEBS).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${DEBS}`);
    execFileSync('dpkg', ['-x', join(DEBS, deb), ROOT]);
    writeFileSync(marker, deb + '\n');
  }
  return ROOT;
}

export function debianBinary(pkg: string, binary: string): string {
  const path = join(ensureDebianPackages([pkg]), 'usr', 'bin', binary);
  if (!existsSync(path)) throw new Error(`package ${pkg} did not provide usr/bin/${binary}`);
  return path;
}
