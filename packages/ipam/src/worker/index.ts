// The sync worker: applies queued messages to the store (Lambda batches and the long-polling worker).
export {};
