export { PublisherTransport, DATA_TRACK_LABEL, RELIABLE_LABEL, LOSSY_LABEL } from './publisher-transport';
export type { PublisherTransportHandler, PublisherTransportOptions } from './publisher-transport';
export { DataTrackChannelHandle } from './data-channel';
export { toLibdatachannelIceServers, parseIceUrl, type IceServerConfig } from './ice';
