/** The mandatory network tags every environment's resource tagger applies. */
export const NETWORK_TAG_POLICY = {
  CostCenter: { inherit: true, default: 'Unassigned' },
  Owner: { default: 'network-team' },
};
