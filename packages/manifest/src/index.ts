export * from './manifest';
export * from './naming';
export * from './discover';
