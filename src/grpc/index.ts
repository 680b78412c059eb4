/** The KEDA external scaler and the Predictor service over gRPC, reading the published snapshot. */
export { addGrpcFlags, resolveGrpcFlags, type GrpcFlags } from './flags.js';
export { startGrpcServer } from './server.js';
