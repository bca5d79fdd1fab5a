import type { IdleInstancesConfig } from '../manifest';
import type { HourlyPoint, InstanceMetrics } from '../ports';
import { HOUR } from './expiry';

const MB = 1_000_000;

/** Whether an instance was idle over a window, and the numbers that say so. */
export interface IdleVerdict {
  readonly idle: boolean;
  /** For people: why (not). */
  readonly why: string;
  /** Hours with both CPU and network datapoints, of the window's. */
  readonly hoursWithData: number;
  readonly windowHours: number;
  readonly maxCpuPercent?: number;
  readonly maxNetworkMb?: number;
}

/** The window a run looks at: whole hours, ending at the last full hour before `now`. */
export function idleWindow(now: Date, windowHours: number): { from: Date; to: Date } {
  const to = Math.floor(now.getTime() / HOUR) * HOUR;
  return { from: new Date(to - windowHours * HOUR), to: new Date(to) };
}

const byHour = (points: readonly HourlyPoint[], from: number, hours: number) => {
  const map = new Map<number, number>();
  for (const p of points) {
    const hour = Math.floor((p.at.getTime() - from) / HOUR);
    if (hour >= 0 && hour < hours) map.set(hour, (map.get(hour) ?? 0) + p.value);
  }
  return map;
};

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Whether an instance was idle over the window starting at `from`: every hour with data below both the CPU
 * and the network threshold, and at least `minCoverage` of the hours with data — CPU and network (in and out)
 * each. A missing datapoint is never evidence of idleness: too few, and the instance is not idle.
 *
 * @example
 * idleVerdict(metrics, { cpuPercentBelow: 2, networkMbPerHourBelow: 5, windowHours: 72, minCoverage: 0.9, graceHours: 72 }, from);
 */
export function idleVerdict(metrics: InstanceMetrics, config: IdleInstancesConfig, from: Date): IdleVerdict {
  const hours = config.windowHours;
  const start = from.getTime();
  const cpu = byHour(metrics.cpuAverage, start, hours);
  const inbound = byHour(metrics.networkIn, start, hours);
  const outbound = byHour(metrics.networkOut, start, hours);
  const network = new Map([...inbound].flatMap(([hour, bytes]) => (outbound.has(hour) ? [[hour, bytes + outbound.get(hour)!] as const] : [])));
  const hoursWithData = [...cpu.keys()].filter((hour) => network.has(hour)).length;
  const base = { hoursWithData, windowHours: hours };
  const needed = Math.ceil(config.minCoverage * hours);
  if (hoursWithData < needed) {
    return { ...base, idle: false, why: `not enough data: ${hoursWithData} of ${hours} hours have CPU and network datapoints, ${needed} needed` };
  }
  const cpuMax = Math.max(...cpu.values());
  const networkMax = Math.max(...network.values()) / MB;
  const [maxCpuPercent, maxNetworkMb] = [round(cpuMax), round(networkMax)];
  const numbers = { ...base, maxCpuPercent, maxNetworkMb };
  const over = `${hours} h: CPU at most ${maxCpuPercent} % (idle below ${config.cpuPercentBelow} %), network at most ${maxNetworkMb} MB/h (idle below ${config.networkMbPerHourBelow} MB/h), ${hoursWithData} of ${hours} hours with data`;
  const idle = cpuMax < config.cpuPercentBelow && networkMax < config.networkMbPerHourBelow;
  return { ...numbers, idle, why: `${idle ? 'idle' : 'busy'} over the last ${over}` };
}
