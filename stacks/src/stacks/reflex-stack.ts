import { eventPatterns, type HttpTrigger, servesHttp, stateKey } from '@reflex/manifest';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { HttpApi } from '../constructs/http-api';
import { ReflexBus } from '../constructs/reflex-bus';
import { ReflexFunction } from '../constructs/reflex-function';
import { actsInSpokes, type EnvConfig, type ResolvedReflex } from '../envs';
import { awsProviderAndState } from './provider';

/** The name of the one stack each environment has; its state is `reflex/<env>/reflex.tfstate`. */
export const STACK_NAME = 'reflex';

export interface ReflexStackProps {
  readonly env: EnvConfig;
  readonly reflexes: readonly ResolvedReflex[];
  /** Folder of a reflex's bundle. */
  readonly bundleDir: (name: string) => string;
}

/** Everything of one environment: provider, S3 state backend, the reflex bus, and one {@link ReflexFunction} per reflex. */
export class ReflexStack extends TerraformStack {
  public readonly bus: ReflexBus;
  public readonly functions: ReflexFunction[];
  /** The environment's HTTP API, when an enabled reflex has http triggers and functions deploy to Lambda. */
  public readonly httpApi?: HttpApi;

  constructor(scope: Construct, id: string, props: ReflexStackProps) {
    super(scope, id);
    const { env } = props;
    awsProviderAndState(this, env, { key: stateKey(env.name, STACK_NAME) });

    // The triggers resolved for each reflex's config, not the manifest's defaults: they name what to forward.
    this.bus = new ReflexBus(this, 'bus', {
      env,
      patterns: props.reflexes.flatMap((r) => eventPatterns(r)),
      spokePatterns: props.reflexes.filter(actsInSpokes).flatMap((r) => eventPatterns(r)),
    });
    const bus = { name: this.bus.bus.name, arn: this.bus.bus.arn };
    // Reflexes others send to are built first, so that their senders can name their queues.
    const built = new Map<string, ReflexFunction>();
    const order = [...props.reflexes].sort((a, b) => a.manifest.sendsTo.length - b.manifest.sendsTo.length);
    for (const reflex of order) {
      const { name, sendsTo } = reflex.manifest;
      const sendTo = sendsTo.map((target) => ({ name: target, queue: built.get(target)!.queue! }));
      built.set(name, new ReflexFunction(this, name, { env, reflex, bus, sendTo, bundleDir: props.bundleDir(name) }));
    }
    this.functions = props.reflexes.map((r) => built.get(r.manifest.name)!);
    // Locally (no Lambda), the local runner serves the routes itself.
    const targets = props.reflexes.flatMap((r, i) => {
      const fn = this.functions[i]!.function;
      return servesHttp(r) && fn ? [{ reflex: r.manifest.name, function: fn, routes: r.triggers.filter((t): t is HttpTrigger => t.kind === 'http') }] : [];
    });
    if (targets.length) this.httpApi = new HttpApi(this, 'http-api', { env, targets });

    new TerraformOutput(this, 'reflex_bus_name', { value: this.bus.bus.name });
    new TerraformOutput(this, 'actions_queue_url', { value: this.bus.auditQueue.url });
    if (this.bus.actionsTopic) new TerraformOutput(this, 'actions_topic_arn', { value: this.bus.actionsTopic.arn });
    new TerraformOutput(this, 'queues', {
      value: Object.fromEntries(
        this.functions.flatMap((f, i) =>
          f.queue && f.deadLetterQueue
            ? [[props.reflexes[i]!.manifest.name, { url: f.queue.url, dlq_url: f.deadLetterQueue.url, consumer: props.reflexes[i]!.consumer }]]
            : [],
        ),
      ),
    });
    const tables = this.functions.flatMap((f, i) => (f.stateTable ? [[props.reflexes[i]!.manifest.name, f.stateTable.table.name]] : []));
    if (tables.length) new TerraformOutput(this, 'state_tables', { value: Object.fromEntries(tables) });
    const workers = this.functions.flatMap((f, i) => (f.workerPolicy ? [[props.reflexes[i]!.manifest.name, f.workerPolicy.arn]] : []));
    if (workers.length) new TerraformOutput(this, 'worker_policies', { value: Object.fromEntries(workers) });
    if (this.httpApi) {
      new TerraformOutput(this, 'http_api', {
        value: { url: this.httpApi.stage.invokeUrl, invoke_policy_arn: this.httpApi.invokePolicy.arn, access_log_group: this.httpApi.logGroup.name },
      });
    }
    new TerraformOutput(this, 'function_environments', {
      value: Object.fromEntries(this.functions.map((f, i) => [props.reflexes[i]!.manifest.name, f.environment])),
    });
  }
}
