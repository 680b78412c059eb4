/**
 * A separate process for the disconnect test: opens `count` StreamIsActive streams to the port in
 * argv, prints "ready" once each has its first message, then waits to be killed (no goodbye on the
 * wire, as when a KEDA pod dies).
 */
import { makeClients, stream } from './support.js';

const [port, count] = process.argv.slice(2).map(Number);
const { externalScaler } = makeClients(port!);
const streams = Array.from({ length: count! }, () =>
  stream(externalScaler, 'StreamIsActive', { name: 'cart', namespace: 'shop', scalerMetadata: { service: 'cart' } }),
);
await Promise.all(streams.map((s) => s.next(0, 30_000)));
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
