export * from './moto';
export * from './aws-env';
export * from './ec2';
export * from './local-ec2';
export * from './postgres';
export * from './accounts';
