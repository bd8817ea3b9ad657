/** The IC's HTTP interface over a `LocalIc`: what agents, dfx and icp-cli talk to. */
export { DEFAULT_PORT, LocalNetwork, type LocalNetworkOptions } from './server';
export { authenticate, InvalidRequestError, MAX_DELEGATIONS, MAX_INGRESS_TTL_NS } from './envelope';

export { LOCAL_NETWORK_FILE, type LocalNetworkFile, writeNetworkFile } from './file';
