import middy from '@middy/core';
import type { z } from 'zod';
import { createDeps, createLogger, loadConfig } from '../../src/adapters/aws/index.ts';

/**
 * Shared by every handler: the ports, built once per container from the environment (config parsed with zod
 * at cold start), and the middy wrapper that parses the event with the handler's contract. Logs never carry
 * task tokens (the logger redacts them).
 */
let built: { env: string; deps: ReturnType<typeof createDeps> } | undefined;
/** What the ports are built from; on AWS it never changes, locally a second cloud in one process gets fresh ports. */
const ENV = ['AWS_REGION', 'AWS_ENDPOINT_URL_MGN', 'AWS_ENDPOINT_URL_SFN', 'AWS_ENDPOINT_URL_SNS', 'AWS_ENDPOINT_URL_DYNAMODB', 'STATE_TABLE', 'OPS_TOPIC_ARN'];
export function deps(): ReturnType<typeof createDeps> {
  const env = ENV.map((k) => process.env[k] ?? '').join('|');
  if (built?.env !== env) built = { env, deps: createDeps(loadConfig()) };
  return built.deps;
}

export const logger = createLogger();

export function handle<S extends z.ZodType, R>(name: string, schema: S, useCase: (input: z.infer<S>) => Promise<R>) {
  return middy(async (event: unknown): Promise<R> => {
    const input = schema.parse(event);
    const result = await useCase(input);
    logger.debug(name, { result: result as never });
    return result;
  });
}
