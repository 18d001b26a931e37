import middy from '@middy/core';
import type { z } from 'zod';
import { createDeps, createLogger, loadConfig } from '../../src/adapters/aws/index.ts';

/**
 * Shared by every handler: the ports, built once per container from the environment (config parsed with zod
 * at cold start), and the middy wrapper that parses the event with the handler's contract. Logs never carry
 * task tokens (the logger redacts them).
 */
let built: ReturnType<typeof createDeps> | undefined;
export function deps(): ReturnType<typeof createDeps> {
  built ??= createDeps(loadConfig());
  return built;
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
