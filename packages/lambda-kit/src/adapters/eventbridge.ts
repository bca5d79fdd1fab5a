import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { REFLEX_ACTION, type ReflexActionDetail } from '@reflex/events';
import type { ActionEmitter } from '../emitter';
import { EmitError } from '../errors';
import { lazySdk, type LoadedSdk } from '../lazy-sdk';

type EventBridgeSdk = typeof import('@aws-sdk/client-eventbridge');
export type LoadEventBridge = () => Promise<LoadedSdk<EventBridgeSdk, EventBridgeClient>>;

const PUT_EVENTS_MAX_ENTRIES = 10;

/** The EventBridge client of the function's environment (region, credentials, `AWS_ENDPOINT_URL`), loaded on first use. */
export const defaultEventBridge: LoadEventBridge = lazySdk(
  () => import('@aws-sdk/client-eventbridge'),
  (sdk) => new sdk.EventBridgeClient({}),
);

/** Publishes Reflex Action events to the reflex bus with PutEvents, ten at a time. */
export class EventBridgeEmitter implements ActionEmitter {
  constructor(
    private readonly busName: string,
    private readonly eventBridge: LoadEventBridge = defaultEventBridge,
  ) {}

  async emit(actions: readonly ReflexActionDetail[]): Promise<void> {
    const { sdk, client } = await this.eventBridge();
    for (let i = 0; i < actions.length; i += PUT_EVENTS_MAX_ENTRIES) {
      const entries = actions.slice(i, i + PUT_EVENTS_MAX_ENTRIES).map((detail) => ({
        EventBusName: this.busName,
        Source: REFLEX_ACTION.source,
        DetailType: REFLEX_ACTION.detailType,
        Resources: detail.targets.flatMap((t) => (t.arn ? [t.arn] : [])),
        Detail: JSON.stringify(detail),
      }));
      let result;
      try {
        result = await client.send(new sdk.PutEventsCommand({ Entries: entries }));
      } catch (cause) {
        throw new EmitError(`PutEvents to ${this.busName} failed`, { cause });
      }
      if (result.FailedEntryCount) {
        const reasons = (result.Entries ?? []).flatMap((e) => (e.ErrorCode ? [`${e.ErrorCode}: ${e.ErrorMessage}`] : []));
        throw new EmitError(`PutEvents to ${this.busName}: ${result.FailedEntryCount} entries failed (${reasons.join('; ')})`);
      }
    }
  }
}
