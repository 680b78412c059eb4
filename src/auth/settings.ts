/**
 * Authentication settings from PEM text and name lists, whichever way they arrive: flags and
 * files for local use, or the extension-apiserver-authentication ConfigMap in a cluster.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_REQUEST_HEADERS, type AuthenticationSettings, type AuthenticationSource } from './index.js';
import { parseCertificateBundle } from './x509.js';
import type { PemSource } from './pem-file.js';
import type { Logger } from '../telemetry/index.js';

export interface AuthenticationInputs {
  /** PEM bundle of client CAs, and where it came from (for error messages). */
  readonly clientCA?: { readonly pem: string; readonly source: string };
  readonly requestHeaderCA?: { readonly pem: string; readonly source: string };
  readonly allowedNames?: readonly string[];
  readonly usernameHeaders?: readonly string[];
  readonly groupHeaders?: readonly string[];
  readonly extraHeaderPrefixes?: readonly string[];
}

/** Header names are case-insensitive: lowercase them once here, not on every request. */
const headerNames = (list: readonly string[] | undefined, fallback: readonly string[]): readonly string[] =>
  (list && list.length > 0 ? list : fallback).map((name) => name.toLowerCase());

/** Throws naming the source of a broken CA bundle. */
export function buildAuthenticationSettings(inputs: AuthenticationInputs): AuthenticationSettings {
  const clientCA = inputs.clientCA ? parseCertificateBundle(inputs.clientCA.pem, inputs.clientCA.source) : [];
  const requestHeader = inputs.requestHeaderCA
    ? {
        clientCA: parseCertificateBundle(inputs.requestHeaderCA.pem, inputs.requestHeaderCA.source),
        allowedNames: inputs.allowedNames ?? [],
        usernameHeaders: headerNames(inputs.usernameHeaders, DEFAULT_REQUEST_HEADERS.usernameHeaders),
        groupHeaders: headerNames(inputs.groupHeaders, DEFAULT_REQUEST_HEADERS.groupHeaders),
        extraHeaderPrefixes: headerNames(inputs.extraHeaderPrefixes, DEFAULT_REQUEST_HEADERS.extraHeaderPrefixes),
      }
    : null;
  return { clientCA, requestHeader };
}

export function readPemFile(path: string): { pem: string; source: string } {
  try {
    return { pem: readFileSync(path, 'utf8'), source: path };
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Settings that never change (flags and files, tests). */
export function staticAuthentication(settings: AuthenticationSettings): AuthenticationSource {
  return { current: () => settings, onChange: () => undefined, close: () => undefined };
}

/** All CA certificates as one PEM bundle: the TLS layer lists them when asking for a client certificate. */
export function acceptableCAsPem(settings: AuthenticationSettings): string {
  return [...settings.clientCA, ...(settings.requestHeader?.clientCA ?? [])].map((c) => c.toString()).join('\n');
}

/**
 * Settings whose CA bundles come from watched files (--client-ca-file, --requestheader-client-ca-file):
 * rebuilt and announced whenever a bundle changes, so a rotated CA needs no restart.
 */
export function fileAuthentication(
  files: { readonly clientCA: PemSource | null; readonly requestHeaderCA: PemSource | null },
  names: Omit<AuthenticationInputs, 'clientCA' | 'requestHeaderCA'>,
  logger: Logger,
): AuthenticationSource {
  const build = (): AuthenticationSettings =>
    buildAuthenticationSettings({
      ...names,
      ...(files.clientCA ? { clientCA: { pem: files.clientCA.current(), source: files.clientCA.path } } : {}),
      ...(files.requestHeaderCA ? { requestHeaderCA: { pem: files.requestHeaderCA.current(), source: files.requestHeaderCA.path } } : {}),
    });
  let settings = build();
  const listeners: Array<(s: AuthenticationSettings) => void> = [];
  const changed = (): void => {
    try {
      settings = build();
    } catch (err) {
      logger.error('authentication settings not reloaded, keeping the previous ones', { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    for (const listener of listeners) listener(settings);
  };
  files.clientCA?.onChange(changed);
  files.requestHeaderCA?.onChange(changed);
  return {
    current: () => settings,
    onChange: (listener) => listeners.push(listener),
    close: () => {
      files.clientCA?.close();
      files.requestHeaderCA?.close();
    },
  };
}
