export * from './manifest';
export * from './alarm';
export * from './describe';
export * from './naming';
export * from './discover';
export * from './loops';
