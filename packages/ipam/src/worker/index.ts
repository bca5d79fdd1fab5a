// The sync worker: applies queued messages to the store (Lambda batches and the long-polling worker), and
// runs the scheduled reconciliation beside it.
export { applyRecords, type BatchOutcome, type QueueRecord, type RecordResult } from './apply-records';
export { consoleLog, type WorkerLog } from './log';
export { SqsQueueSource, QueueDeleteError, type QueueMessage, type QueueSource } from './queue-source';
export {
  IpamWorker,
  type BatchStats,
  type IpamWorkerOptions,
  type WorkerStats,
  type WorkerStopReport,
} from './worker';
export { ReconcileLoop, type ReconcileLoopOptions } from './reconcile-loop';
export { startWorker, runWorker, type WorkerOptions, type RunningWorker } from './run';
