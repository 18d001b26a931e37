export { createTaskCallbacks, TASK_CAUSE_MAX, TASK_ERROR_MAX } from './callbacks.ts';
export { CLOSED_TASK_ERRORS, MGN_CONFLICT_ERRORS, toDomainError, withDomainErrors, type ErrorScope } from './errors.ts';
export { loadConfig, ConfigError, type Config } from './config.ts';
export { createDeps, createClients, systemClock, type AwsClients, type AwsDeps } from './deps.ts';
/** The ports' own type, for the handlers' runtime (functions/_lib/runtime.ts). */
export type { Deps } from '../../ports.ts';
export { createLogger, FlowLogger, redact, isSecretKey, SECRET_KEYS } from './logger.ts';
export { createMgnPort, toServerView, toJobView, parseIsoDuration, writeRetryStrategy, MgnResponseError, MGN_IDS_PER_CALL, type MgnPortOptions } from './mgn.ts';
export { createNotifier, toSubject, DEFAULT_DEDUPE_SECONDS, type NotifierOptions } from './notifier.ts';
export {
  createStores,
  createWaitStore,
  createRendezvousStore,
  createGateStore,
  createDedupe,
  createDocumentClient,
  StoreConflictError,
  StoreNotFoundError,
  type Dedupe,
} from './stores.ts';
