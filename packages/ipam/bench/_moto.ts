import { AssociateSubnetCidrBlockCommand, AssociateVpcCidrBlockCommand, CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, DescribeInstanceTypesCommand, DescribeSubnetsCommand, DescribeVpcsCommand, RunInstancesCommand, DescribeImagesCommand, TerminateInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startMoto, localClientConfig } from '@reflex/local-aws';
const aws = await startMoto();
const ec2 = new EC2Client(localClientConfig(aws.endpoint));
try {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16', AmazonProvidedIpv6CidrBlock: true }));
  console.log(JSON.stringify(vpc.Vpc, null, 1));
  await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: '10.21.0.0/16' }));
  const v2 = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc.Vpc!.VpcId!] }));
  console.log(JSON.stringify(v2.Vpcs, null, 1));
  const sn = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: '10.20.1.0/24', AvailabilityZone: 'us-east-1a' }));
  const v6 = v2.Vpcs![0]!.Ipv6CidrBlockAssociationSet?.[0]?.Ipv6CidrBlock;
  if (v6) await ec2.send(new AssociateSubnetCidrBlockCommand({ SubnetId: sn.Subnet!.SubnetId, Ipv6CidrBlock: v6.replace('/56', '/64') }));
  console.log(JSON.stringify((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [sn.Subnet!.SubnetId!] }))).Subnets, null, 1));
  const img = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }))).Images![0]!.ImageId;
  const run = await ec2.send(new RunInstancesCommand({ ImageId: img, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: sn.Subnet!.SubnetId, AssociatePublicIpAddress: true, Ipv6AddressCount: 1, SecondaryPrivateIpAddressCount: 1 }] }));
  const id = run.Instances![0]!.InstanceId!;
  console.log(JSON.stringify((await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations, null, 1));
  console.log(JSON.stringify((await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.micro'] }))).InstanceTypes?.[0]?.VCpuInfo));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  console.log(JSON.stringify((await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces));
  try { await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })); } catch (e: any) { console.log('ERR', e.name, e.Code, e.message); }
} finally { ec2.destroy(); await aws.stop(); }
