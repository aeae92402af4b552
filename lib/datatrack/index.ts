export { DataTrackController, type DataTrackControllerEvents, type DataTrackControllerOptions } from './controller';
export {
  DataTrackError,
  DataTrackPublishError,
  DataTrackPushError,
  DataTrackSubscribeError,
  DataTrackSchemaStoreError,
  type DataTrackPublishErrorReason,
  type DataTrackPushErrorReason,
  type DataTrackSubscribeErrorReason,
  type DataTrackSchemaStoreErrorReason,
} from './errors';
export { DataTrackFrame, msSinceTimestamp } from './frame';
export type { DataTrackFrameBatch, DataTrackPushFramesResult } from './frame-batch';
export { DataTrackStream, type DataTrackStreamEndReason, type DataTrackStreamStats } from './frame-stream';
export { LocalDataTrack, type DataTrackSendOptions } from './local-track';
export { RemoteDataTrack } from './remote-track';
export {
  DataTrackSchemaError,
  validateSchema,
  type DataTrackFrameEncoding,
  type DataTrackSchemaEncoding,
  type DataTrackSchemaErrorReason,
  type DataTrackSchemaId,
} from './schema';
export type {
  DataTrackInfo,
  DataTrackPublishOptions,
  DataTrackSettings,
  DataTrackSubscribeOptions,
  LocalDataTrackStats,
  QueueFullPolicy,
  RemoteDataTrackPipelineOptions,
  RemoteDataTrackStats,
} from './types';
