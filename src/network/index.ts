/** The IC's HTTP interface over a `LocalIc`: what agents, dfx and icp-cli talk to. */
export { DEFAULT_PORT, LocalNetwork, type LocalNetworkOptions } from './server';
export { authenticate, InvalidRequestError, MAX_DELEGATIONS, MAX_INGRESS_TTL_NS } from './envelope';

/**
 * What `npm start -- --serve` writes (relative to the project) so clients find the network: its address, its
 * root key (hex DER) and the suite's canister ids by name.
 */
export const LOCAL_NETWORK_FILE = '.azle/local-network.json';
export type LocalNetworkFile = { url: string; rootKey: string; canisters: Record<string, string> };
