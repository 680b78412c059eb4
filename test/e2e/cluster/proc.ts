/**
 * Child processes of the e2e test: each one logs to its own file (so a failure can be diagnosed
 * after the fact) and is stopped by the PID we recorded — never by name, since other people's
 * processes share this machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Managed {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | string>;
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last `lines` lines of its log, for error messages. */
  tail(lines?: number): string;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export function startProcess(name: string, command: string, args: readonly string[], logFile: string, opts: StartOptions = {}): Managed {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], {
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`e2e: could not start ${name} (${command})`);
  let alive = true;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      alive = false;
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', () => {
      alive = false;
      resolve('spawn-error');
    });
  });
  const tail = (lines = 30): string => {
    if (!existsSync(logFile)) return '';
    return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
  };
  return {
    name,
    pid,
    logFile,
    exited,
    running: () => alive,
    tail,
    async stop(graceMs = 10_000): Promise<void> {
      if (!alive) return;
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (alive) process.kill(pid, 'SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port free on 127.0.0.1 right now (the kernel picks it; another process could take it later, which is rare on loopback). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('e2e: could not read a free port'));
        return;
      }
      const port = addr.port;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns a value other than undefined; fails with `what` and the last error
 * (and the process log, if given) after `timeoutMs`. Also fails at once if the process died.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, proc?: Managed, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (proc !== undefined && !proc.running()) {
      throw new Error(`e2e: ${proc.name} exited while waiting for ${what}; log ${proc.logFile}:\n${proc.tail()}`);
    }
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) {
      const logPart = proc !== undefined ? `\nlog ${proc.logFile}:\n${proc.tail()}` : '';
      throw new Error(`e2e: timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}${logPart}`);
    }
    await sleep(intervalMs);
  }
}
