import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, redact } from '../../../src/adapters/aws/logger.ts';

describe('redact', () => {
  it('drops token, taskToken, secret and sig at any depth, whatever their case, and keeps the rest', () => {
    const wait = { serverId: 's-1', token: 'AQ-secret', condition: { kind: 'GATE', gateId: 'g-1' } };
    const input = {
      wait,
      waits: [wait, { TaskToken: 'AQ-2', state: 'Soak' }],
      link: { url: 'https://x/approvals/1', sig: 'abc', Secret: 'k' },
      at: new Date(0),
    };
    expect(redact(input)).toEqual({
      wait: { serverId: 's-1', condition: { kind: 'GATE', gateId: 'g-1' } },
      waits: [{ serverId: 's-1', condition: { kind: 'GATE', gateId: 'g-1' } }, { state: 'Soak' }],
      link: { url: 'https://x/approvals/1' },
      at: new Date(0),
    });
    expect(input.wait.token).toBe('AQ-secret'); // a copy: the original is untouched
  });

  it('copes with cycles and errors', () => {
    const a: Record<string, unknown> = { name: 'a', token: 't' };
    a.self = a;
    const r = redact(a) as Record<string, unknown>;
    expect(r.token).toBeUndefined();
    expect(r.self).toBe(r);
    const err = Object.assign(new Error('boom'), { taskToken: 'AQ' });
    expect(redact({ err }).err).toMatchObject({ name: 'Error', message: 'boom' });
    expect(JSON.stringify(redact({ err }))).not.toContain('AQ');
  });
});

describe('createLogger', () => {
  afterEach(() => vi.restoreAllMocks());

  it('logs structured lines for service mgn-flow and never writes a token, even when not redacted first', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const logger = createLogger({ persistentKeys: { wave: 'w1' } });
    logger.info('wait registered', { serverId: 's-1', wait: { token: 'AQ-very-secret', taskToken: 'AQ-2', condition: { kind: 'READY_FOR_TEST' } }, sig: 'signature' });
    const line = lines.join('');
    expect(line).not.toContain('AQ-');
    expect(line).not.toContain('signature');
    const entry = JSON.parse(line.trim().split('\n').pop() as string);
    expect(entry).toMatchObject({ level: 'INFO', message: 'wait registered', service: 'mgn-flow', wave: 'w1', serverId: 's-1', wait: { condition: { kind: 'READY_FOR_TEST' } } });
  });
});
