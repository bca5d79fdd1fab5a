/**
 * Networks EC2 no longer has (found by reconciliation) are marked deleted rather than removed, so the
 * addresses and interfaces that referenced them keep their history; reconciliation reads one account and
 * region at a time.
 */
export const networkDeletion = `
ALTER TABLE networks ADD COLUMN deleted_at timestamptz;
CREATE INDEX networks_account_region ON networks (account, region);
CREATE INDEX devices_account_region ON devices (account, region);
`;
