export * from './envelope';
export * from './ec2-state-change';
export * from './cloudtrail';
export * from './scheduled';
export * from './cloudwatch-alarm';
export * from './guardduty';
export * from './reflex-action';
export * from './tags';
