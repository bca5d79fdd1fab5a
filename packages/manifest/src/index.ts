export * from './manifest';
export * from './describe';
export * from './naming';
export * from './discover';
