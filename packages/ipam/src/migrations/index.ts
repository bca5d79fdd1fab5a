import { init } from './001-init';
import { networkDeletion } from './002-network-deletion';
import { writePath } from './003-write-path';

/** One schema change; `version` orders them and is never reused. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in order. Append; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'network-deletion', sql: networkDeletion },
  { version: 3, name: 'write-path', sql: writePath },
];
