// The EC2 side of the IPAM: messages from DescribeInstances/Subnets/Vpcs, and reconciliation.
export {};
