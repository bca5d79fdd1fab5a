import type { ReflexActionDetail } from '@reflex/events';

/** Port: publishes Reflex Action events. */
export interface ActionEmitter {
  emit(actions: readonly ReflexActionDetail[]): Promise<void>;
}

/** In-memory emitter, for tests of handlers and cores. */
export class MemoryEmitter implements ActionEmitter {
  readonly emitted: ReflexActionDetail[] = [];
  async emit(actions: readonly ReflexActionDetail[]): Promise<void> {
    this.emitted.push(...actions);
  }
}
