export * from './moto';
export * from './aws-env';
export * from './ec2';
