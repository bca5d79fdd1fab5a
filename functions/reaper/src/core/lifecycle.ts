import { parseStamp, REFLEX_TAGS } from '@reflex/events';
import type { ReaperConfig } from '../manifest';
import type { Resource } from '../ports';
import { DAY, describeExpiry, effectiveExpiry, formatExpiry, formatNotices, HOUR, invalidKey, leadToken, noticesFor, parseExpiry, relative } from './expiry';
import { neverTouch } from './never-touch';

/** The reflex name the reaper signs its stop intents with (`reaper@<time>`). */
export const REAPER = 'reaper';

/** What the reaper does to an overdue resource. */
export type Step = 'stop' | 'terminate' | 'delete' | 'snapshot-then-delete' | 'teardown';

/** The reaper's decision on one resource at one run. */
export type Decision =
  /** Nothing to do or say (no expiry, out of scope, gone). */
  | { readonly kind: 'none'; readonly why: string }
  /** Never touched; it has an expiry, which is ignored. */
  | { readonly kind: 'protected'; readonly why: string }
  /** Its expiry tag is no ISO 8601 UTC time; `notify` the first time for this value. */
  | { readonly kind: 'invalid'; readonly value: string; readonly notify: boolean; readonly notices: string }
  /** Warn now, for these lead times (all that are due and not yet sent, in one warning). */
  | { readonly kind: 'warn'; readonly expiry: Date; readonly leads: readonly number[]; readonly notices: string; readonly why: string }
  /** Not yet: before the expiry with no warning due, or a state in transition, or a grace running. */
  | { readonly kind: 'wait'; readonly expiry?: Date; readonly why: string }
  /** Act now. `sent`: the notices already sent for this expiry (a dry run reports each step once). */
  | { readonly kind: 'act'; readonly expiry: Date; readonly step: Step; readonly why: string; readonly sent: ReadonlySet<string>; readonly key: string }
  /** Overdue, but something holds it (attached, associated, not a lab); `notify` once per expiry. */
  | { readonly kind: 'blocked'; readonly expiry: Date; readonly why: string; readonly notify: boolean; readonly notices: string };

/** The tag value recording that the reaper reported a blocker (or, with `token`, another one-off notice) for this expiry. */
export const withNotice = (sent: ReadonlySet<string>, token: string, key: string) => formatNotices([...sent, token], key);

/**
 * Decides what to do with one resource at `now` (the run's time): never-touch rules first; then the expiry
 * tag (invalid → a notice once); before the expiry, a warning at each lead time that is due and not yet
 * sent for this expiry (never earlier than its lead time; one warning for several due at once); after it,
 * the step for the resource's kind and state.
 */
export function decide(resource: Resource, now: Date, config: ReaperConfig): Decision {
  const never = neverTouch(resource, config);
  const raw = resource.tags[REFLEX_TAGS.expiresAt];
  if (never) return raw === undefined ? { kind: 'none', why: never } : { kind: 'protected', why: never };
  if (raw === undefined) return { kind: 'none', why: 'it has no expiry' };
  const outOfScope = scopeProblem(resource, now, config);
  if (outOfScope) return { kind: 'none', why: outOfScope };
  const tagged = parseExpiry(raw);
  const warned = resource.tags[REFLEX_TAGS.expiryWarned];
  if (!tagged) {
    const key = invalidKey(raw);
    const sent = noticesFor(warned, key);
    return { kind: 'invalid', value: raw, notify: !sent.has('invalid'), notices: withNotice(sent, 'invalid', key) };
  }
  const { at: expiry, cappedBy } = effectiveExpiry(tagged, resource.createdAt, config.maxLifetimeHours);
  const key = formatExpiry(expiry);
  const sent = noticesFor(warned, key);
  const when = `${describeExpiry(expiry, config.displayTimeZone)}${cappedBy ? ` (the tag says ${raw}; capped by ${cappedBy})` : ''}`;
  if (now < expiry) {
    const unsent = config.warnBeforeHours.filter((lead) => !sent.has(leadToken(lead)));
    const due = unsent.filter((lead) => now.getTime() >= expiry.getTime() - lead * HOUR).sort((a, b) => b - a);
    if (due.length === 0) {
      const next = unsent.map((lead) => expiry.getTime() - lead * HOUR).sort((a, b) => a - b)[0];
      const nextWarning = next === undefined ? '' : `; next warning at ${formatExpiry(new Date(next))}`;
      return { kind: 'wait', expiry, why: `expires ${relative(expiry, now)}, at ${when}${nextWarning}` };
    }
    return {
      kind: 'warn',
      expiry,
      leads: due,
      notices: formatNotices([...sent, ...due.map(leadToken)], key),
      why: `expires ${relative(expiry, now)}, at ${when}`,
    };
  }
  return overdue(resource, { expiry, key, sent, now, config, why: `expired ${relative(expiry, now)}, at ${when}` });
}

/** Why a resource with an expiry is out of the reaper's scope, or undefined. */
function scopeProblem(resource: Resource, now: Date, config: ReaperConfig): string | undefined {
  if (resource.kind === 'snapshot' && resource.createdAt && now.getTime() - resource.createdAt.getTime() < config.snapshotMinAgeDays * DAY) {
    return `the snapshot is younger than ${config.snapshotMinAgeDays} days (snapshotMinAgeDays)`;
  }
  return undefined;
}

interface Overdue {
  readonly expiry: Date;
  readonly key: string;
  readonly sent: ReadonlySet<string>;
  readonly now: Date;
  readonly config: ReaperConfig;
  readonly why: string;
}

function overdue(resource: Resource, o: Overdue): Decision {
  const act = (step: Step, why = o.why): Decision => ({ kind: 'act', expiry: o.expiry, step, why, sent: o.sent, key: o.key });
  const wait = (why: string): Decision => ({ kind: 'wait', expiry: o.expiry, why: `${o.why}; ${why}` });
  const blocked = (why: string): Decision => ({
    kind: 'blocked',
    expiry: o.expiry,
    why: `${o.why}, but ${why}`,
    notify: !o.sent.has('blocked'),
    notices: withNotice(o.sent, 'blocked', o.key),
  });
  const { state } = resource;
  switch (resource.kind) {
    case 'instance':
      return overdueInstance(resource, o, act, wait);
    case 'volume':
      if (state === 'in-use') return blocked(`it is attached to ${resource.attachedTo ?? 'an instance'}: it goes when that instance does, or once detached`);
      if (state === 'creating' || state === 'deleting') return wait(`it is ${state}`);
      return act(o.config.snapshotVolumes ? 'snapshot-then-delete' : 'delete');
    case 'snapshot':
      return state === 'pending' ? wait('the snapshot is still pending') : act('delete');
    case 'address':
      return resource.attachedTo ? blocked(`it is associated with ${resource.attachedTo}: only addresses that are not associated are released`) : act('delete');
    case 'nat-gateway':
      if (state === 'deleting' || state === 'deleted') return { kind: 'none', why: `it is ${state}` };
      return state === 'pending' ? wait('it is pending') : act('delete');
    case 'load-balancer':
      return act('delete');
    case 'vpc':
      return resource.tags[REFLEX_TAGS.lab]?.trim().toLowerCase() === 'true'
        ? act('teardown')
        : blocked(`only VPCs tagged ${REFLEX_TAGS.lab}=true are deleted (with what is in them)`);
    default:
      return { kind: 'none', why: `a ${resource.kind} goes only with its lab VPC` };
  }
}

/**
 * Stop first: the first run past the expiry stops a running instance (its stop intent recorded first); a
 * run past the grace — from the reaper's stop, or from the expiry for one that was stopped already —
 * terminates it, stopped or restarted since.
 */
function overdueInstance(resource: Resource, o: Overdue, act: (step: Step, why?: string) => Decision, wait: (why: string) => Decision): Decision {
  const { state } = resource;
  if (state === 'terminated' || state === 'shutting-down') return { kind: 'none', why: `it is ${state}` };
  if (state === 'pending' || state === 'stopping') return wait(`it is ${state}`);
  if (!o.config.stopFirst) return act('terminate');
  const intent = parseStamp(resource.tags[REFLEX_TAGS.stopIntent]);
  const reaperStop = intent && intent.by === REAPER && intent.at >= o.expiry ? intent.at : undefined;
  if (state === 'running' && !reaperStop) return act('stop');
  const graceEnd = new Date((reaperStop ?? o.expiry).getTime() + o.config.stopGraceHours * HOUR);
  const since = reaperStop ? `the reaper stopped it at ${formatExpiry(reaperStop)}` : `it was stopped at its expiry`;
  if (o.now >= graceEnd) return act('terminate', `${o.why}; ${since}, and the stop grace of ${o.config.stopGraceHours} h ended at ${formatExpiry(graceEnd)}`);
  const restarted = state === 'running' ? ' (and someone started it again)' : '';
  return wait(`${since}${restarted}; terminated after ${formatExpiry(graceEnd)} unless extended`);
}
