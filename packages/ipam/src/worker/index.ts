// The sync worker: applies queued messages to the store (Lambda batches and the long-polling worker).
export {
  applyRecords,
  consoleLog,
  type BatchOutcome,
  type QueueRecord,
  type RecordResult,
  type WorkerLog,
} from './apply-records';
export { SqsQueueSource, QueueDeleteError, type QueueMessage, type QueueSource } from './queue-source';
export {
  IpamWorker,
  type BatchStats,
  type IpamWorkerOptions,
  type WorkerStats,
  type WorkerStopReport,
} from './worker';
