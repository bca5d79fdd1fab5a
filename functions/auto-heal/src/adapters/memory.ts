import type { Ladder } from '../core/ladder';
import type {
  ActResult,
  AlarmState,
  AlarmsPort,
  AlarmView,
  Claim,
  GroupsPort,
  HealStatePort,
  HealthRecord,
  InstancesPort,
  InstanceStatusView,
  InstanceView,
  OptedInInstance,
} from '../ports';

type MemoryInstance = { -readonly [K in keyof InstanceView]: InstanceView[K] } & { status?: InstanceStatusView };

/**
 * In-memory EC2 for tests of the core: reboot keeps an instance running; stop makes it `stopping`, and it is
 * `stopped` after `describesToStop` more looks (0: at once); start makes it `running`. Dry-run answers `dry-run`.
 */
export class MemoryInstances implements InstancesPort {
  readonly instances = new Map<string, MemoryInstance>();
  readonly calls: string[] = [];
  dryRun = false;
  describesToStop = 0;
  private stopLooks = new Map<string, number>();

  add(instance: InstanceView & { status?: InstanceStatusView }): void {
    this.instances.set(instance.id, { ...instance });
  }

  async describe(id: string): Promise<InstanceView | undefined> {
    const instance = this.instances.get(id);
    const looks = this.stopLooks.get(id);
    if (instance?.state === 'stopping' && looks !== undefined) {
      if (looks <= 0) instance.state = 'stopped';
      this.stopLooks.set(id, looks - 1);
    }
    if (!instance) return undefined;
    const { status: _status, ...view } = instance;
    return { ...view, tags: { ...view.tags } };
  }

  async status(id: string): Promise<InstanceStatusView | undefined> {
    const instance = this.instances.get(id);
    if (!instance) return undefined;
    if (instance.state !== 'running') return { instance: 'not-applicable', system: 'not-applicable', events: instance.status?.events ?? [] };
    return instance.status ?? { instance: 'ok', system: 'ok', events: [] };
  }

  async optedIn(): Promise<OptedInInstance[]> {
    return [...this.instances.values()]
      .filter((i) => i.tags['reflex:heal'] === 'true' && i.state !== 'terminated' && i.state !== 'shutting-down')
      .map((i) => ({ id: i.id, state: i.state }));
  }

  private act(call: string, id: string, from: readonly string[], to: string): ActResult {
    const instance = this.instances.get(id);
    if (!instance) return 'not-found';
    if (!from.includes(instance.state)) return 'incorrect-state';
    if (this.dryRun) return 'dry-run';
    this.calls.push(`${call} ${id}`);
    instance.state = to;
    return 'done';
  }

  async reboot(id: string): Promise<ActResult> {
    return this.act('reboot', id, ['running'], 'running');
  }

  async stop(id: string, force: boolean): Promise<ActResult> {
    const result = this.act(force ? 'force-stop' : 'stop', id, ['running', 'stopping', 'pending'], 'stopping');
    if (result === 'done') this.stopLooks.set(id, this.describesToStop);
    return result;
  }

  async start(id: string): Promise<ActResult> {
    this.stopLooks.delete(id);
    return this.act('start', id, ['stopped'], 'running');
  }

  async tag(id: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const instance = this.instances.get(id);
    if (!instance || this.dryRun) return;
    this.calls.push(`tag ${id} ${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    instance.tags = { ...instance.tags, ...tags };
  }
}

/** In-memory Auto Scaling: instances by group; marking one Unhealthy terminates it, as its group would. */
export class MemoryGroups implements GroupsPort {
  readonly unhealthy: string[] = [];
  dryRun = false;
  constructor(private readonly ec2: MemoryInstances) {}

  async markUnhealthy(id: string): Promise<ActResult> {
    const instance = this.ec2.instances.get(id);
    if (!instance?.tags['aws:autoscaling:groupName']) return 'not-found';
    if (this.dryRun) return 'dry-run';
    this.unhealthy.push(id);
    instance.state = 'terminated';
    return 'done';
  }
}

/** In-memory CloudWatch alarms. */
export class MemoryAlarms implements AlarmsPort {
  readonly alarms = new Map<string, AlarmView>();
  dryRun = false;

  set(name: string, state: AlarmState, instanceId?: string): void {
    const existing = this.alarms.get(name);
    this.alarms.set(name, { namespace: 'AWS/EC2', metricName: 'StatusCheckFailed', ...existing, name, state, ...(instanceId ? { instanceId } : {}) });
  }

  async withPrefix(prefix: string): Promise<AlarmView[]> {
    return [...this.alarms.values()].filter((a) => a.name.startsWith(prefix));
  }

  async stateOf(name: string): Promise<AlarmState | undefined> {
    return this.alarms.get(name)?.state;
  }

  async putStatusCheckAlarm(name: string, instanceId: string): Promise<'done' | 'dry-run'> {
    if (this.dryRun) return 'dry-run';
    this.alarms.set(name, { name, state: 'INSUFFICIENT_DATA', namespace: 'AWS/EC2', metricName: 'StatusCheckFailed', instanceId });
    return 'done';
  }

  async deleteAlarms(names: readonly string[]): Promise<'done' | 'dry-run'> {
    if (this.dryRun) return 'dry-run';
    for (const name of names) this.alarms.delete(name);
    return 'done';
  }
}

/** An in-memory state table with the conditional semantics of the DynamoDB adapter; with `dryRun`, ladders are not saved. */
export class MemoryHealState implements HealStatePort {
  readonly saved = new Map<string, { ladder: Ladder; version: number }>();
  readonly events = new Map<string, { holder?: string; until?: number; done?: boolean }>();
  readonly leases = new Map<string, { holder: string; until: number }>();
  readonly healthRecords = new Map<string, HealthRecord>();
  readonly plans = new Map<string, string[]>();
  dryRun = false;

  async claimEvent(id: string, holder: string, until: Date, now: Date): Promise<Claim> {
    const claim = this.events.get(id);
    if (claim?.done) return 'done';
    if (claim && claim.holder !== holder && claim.until! >= now.getTime()) return 'busy';
    this.events.set(id, { holder, until: until.getTime() });
    return 'claimed';
  }
  async finishEvent(id: string) {
    this.events.set(id, { done: true });
  }
  async releaseEvent(id: string, holder: string) {
    if (this.events.get(id)?.holder === holder) this.events.delete(id);
  }
  async ladder(id: string) {
    const saved = this.saved.get(id);
    return saved && structuredClone(saved);
  }
  async ladders() {
    return [...this.saved.values()].map((s) => structuredClone(s));
  }
  async saveLadder(ladder: Ladder, expected: number) {
    if (this.dryRun) return true;
    if ((this.saved.get(ladder.instanceId)?.version ?? 0) !== expected) return false;
    this.saved.set(ladder.instanceId, { ladder: structuredClone(ladder), version: expected + 1 });
    return true;
  }
  async health(id: string) {
    return [...this.healthRecords.values()].filter((h) => h.instanceId === id);
  }
  async recordHealth(record: HealthRecord) {
    const key = `${record.instanceId} ${record.eventArn}`;
    const known = this.healthRecords.get(key);
    if (known && Date.parse(known.updatedAt) >= Date.parse(record.updatedAt)) return false;
    this.healthRecords.set(key, record);
    return true;
  }
  async dryRunPlan(account?: string) {
    return [...(this.plans.get(account ?? '') ?? [])];
  }
  async saveDryRunPlan(changes: readonly string[], account?: string) {
    this.plans.set(account ?? '', [...changes]);
  }
  async lease(key: string, holder: string, until: Date, now: Date) {
    const held = this.leases.get(key);
    if (held && held.holder !== holder && held.until >= now.getTime()) return false;
    this.leases.set(key, { holder, until: until.getTime() });
    return true;
  }
  async release(key: string, holder: string) {
    if (this.leases.get(key)?.holder === holder) this.leases.delete(key);
  }
}
