/**
 * proto/externalscaler.proto must stay wire-compatible with KEDA's published proto
 * (test/fixtures/keda/externalscaler.proto, verbatim): same message and field numbers and types,
 * same method paths and stream shapes, same bytes. A KEDA-built client must work against us.
 */
import { expect } from 'chai';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition, MethodDefinition, PackageDefinition } from '@grpc/proto-loader';
import { loadPackageDefinition, PROTO_FILES, protoDir } from '../../../src/grpc/protos.js';
import type { IsActiveResponse } from '../../../src/grpc/messages.js';
import { appSnapshot, startHarness, stream, unary, type Harness } from './support.js';

const kedaDir = join(dirname(protoDir()), 'test', 'fixtures', 'keda');
const keda = loadPackageDefinition('externalscaler.proto', kedaDir);
const ours = loadPackageDefinition(PROTO_FILES.externalScaler);
const SERVICE = 'externalscaler.ExternalScaler';

interface FieldDescriptor {
  readonly name: string;
  readonly number: number;
  readonly label: string;
  readonly type: string;
  readonly typeName: string;
}
interface MessageDescriptor {
  readonly name?: string;
  readonly field: readonly FieldDescriptor[];
  readonly nestedType: readonly MessageDescriptor[];
}

/** "field=number label type typeName" lines, map entries (nested types) included. */
function fieldTable(message: MessageDescriptor, prefix = ''): string[] {
  return [
    ...message.field.map((f) => `${prefix}${f.name}=${f.number} ${f.label} ${f.type} ${f.typeName}`),
    ...message.nestedType.flatMap((nested) => fieldTable(nested, `${prefix}${nested.name}.`)),
  ];
}

function messages(pkg: PackageDefinition): Map<string, MessageDescriptor> {
  const found = new Map<string, MessageDescriptor>();
  for (const [name, definition] of Object.entries(pkg)) {
    if ('format' in definition && definition.format === 'Protocol Buffer 3 DescriptorProto') {
      found.set(name, (definition as MessageTypeDefinition<unknown, unknown>).type as unknown as MessageDescriptor);
    }
  }
  return found;
}

type Methods = Record<string, MethodDefinition<unknown, unknown>>;
const kedaMethods = keda[SERVICE] as unknown as Methods;
const ourMethods = ours[SERVICE] as unknown as Methods;

describe('gRPC wire compatibility with KEDA externalscaler.proto', () => {
  it('defines every KEDA message with the same field numbers, labels and types', () => {
    const theirs = messages(keda);
    const mine = messages(ours);
    expect([...mine.keys()].sort()).to.deep.equal([...theirs.keys()].sort());
    for (const [name, message] of theirs) {
      expect(fieldTable(mine.get(name)!), name).to.deep.equal(fieldTable(message));
    }
  });

  it('serves KEDA methods at the same paths with the same request/response types and stream shapes', () => {
    for (const [name, method] of Object.entries(ourMethods)) {
      const theirs = kedaMethods[name];
      expect(theirs, `KEDA has no method ${name}`).to.not.equal(undefined);
      const shape = (m: MethodDefinition<unknown, unknown>): unknown[] => [
        m.path,
        m.requestStream,
        m.responseStream,
        (m.requestType.type as MessageDescriptor).name,
        (m.responseType.type as MessageDescriptor).name,
      ];
      expect(shape(method), name).to.deep.equal(shape(theirs!));
    }
  });

  it("leaves out only KEDA's optional StreamMetricSpec", () => {
    expect(Object.keys(kedaMethods).filter((name) => !(name in ourMethods))).to.deep.equal(['StreamMetricSpec']);
  });

  it('encodes GetMetricsResponse to the exact bytes the field numbers and wire types dictate', () => {
    const bytes = ourMethods['GetMetrics']!.responseSerialize({ metricValues: [{ metricName: 'x', metricValue: 3, metricValueFloat: 3 }] });
    // field 1 LEN(14) { field 1 LEN "x" ; field 2 varint 3 ; field 3 fixed64 3.0 (little-endian IEEE 754) }
    expect(Buffer.from(bytes).toString('hex')).to.equal('0a0e' + '0a0178' + '1003' + '19' + '0000000000000840');
  });

  it('round-trips KEDA-encoded requests and our responses through both protos unchanged', () => {
    const request = { scaledObjectRef: { name: 'cart', namespace: 'shop', scalerMetadata: { service: 'cart', application: 'boutique' } }, metricName: 's0-x' };
    expect(ourMethods['GetMetrics']!.requestDeserialize(kedaMethods['GetMetrics']!.requestSerialize(request))).to.deep.equal(request);
    const spec = { metricSpecs: [{ metricName: 'deepscaler-boutique-cart', targetSize: 1, targetSizeFloat: 1 }] };
    expect(kedaMethods['GetMetricSpec']!.responseDeserialize(ourMethods['GetMetricSpec']!.responseSerialize(spec))).to.deep.equal(spec);
    const large = { metricValues: [{ metricName: 'm', metricValue: 2 ** 40, metricValueFloat: 2.5 }] };
    expect(kedaMethods['GetMetrics']!.responseDeserialize(ourMethods['GetMetrics']!.responseSerialize(large))).to.deep.equal(large);
  });

  describe("a client built from KEDA's proto against our server", () => {
    let h: Harness;
    let kedaClient: grpc.Client;
    before(async () => {
      h = await startHarness();
      h.store.publishApp(appSnapshot({ replicas: { cart: 4 } }));
      const KedaScaler = (grpc.loadPackageDefinition(keda)['externalscaler'] as grpc.GrpcObject)['ExternalScaler'] as grpc.ServiceClientConstructor;
      kedaClient = new KedaScaler(`127.0.0.1:${h.server.port}`, grpc.credentials.createInsecure());
    });
    after(async () => {
      kedaClient.close();
      await h.close();
    });
    const scaledObjectRef = { name: 'cart', namespace: 'shop', scalerMetadata: { service: 'cart', scalerAddress: 'deepscaler:9090' } };

    it('gets the metric spec, the metric and the activity KEDA asks for', async () => {
      expect(await unary(kedaClient, 'GetMetricSpec', scaledObjectRef)).to.deep.equal({
        metricSpecs: [{ metricName: 'deepscaler-boutique-cart', targetSize: 1, targetSizeFloat: 1 }],
      });
      expect(await unary(kedaClient, 'GetMetrics', { scaledObjectRef, metricName: 'deepscaler-boutique-cart' })).to.deep.equal({
        metricValues: [{ metricName: 'deepscaler-boutique-cart', metricValue: 4, metricValueFloat: 4 }],
      });
      expect(await unary(kedaClient, 'IsActive', scaledObjectRef)).to.deep.equal({ result: true });
      const s = stream<IsActiveResponse>(kedaClient, 'StreamIsActive', scaledObjectRef);
      expect(await s.next(0)).to.deep.equal({ result: true });
      s.call.cancel();
    });

    it('gets UNIMPLEMENTED for StreamMetricSpec, on which KEDA falls back to GetMetricSpec', async () => {
      const end = await stream(kedaClient, 'StreamMetricSpec', scaledObjectRef).end();
      expect(end.code).to.equal(grpc.status.UNIMPLEMENTED);
    });
  });
});
