import { describe, expect, it } from 'vitest';
import { colorEnabled, styleFor } from '../../src/cli/output.ts';

describe('colorEnabled', () => {
  it.each([
    [true, {}, true],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [false, {}, false],
  ])('returns %s && NO_COLOR=%j -> %s', (isTTY, env, expected) => {
    expect(colorEnabled({ write: () => true, isTTY }, env)).toBe(expected);
  });
});

describe('styleFor', () => {
  it('returns plain text when piped', () => {
    expect(styleFor({ write: () => true }, {}).red('x')).toBe('x');
  });

  it('returns ANSI colour on a terminal', () => {
    expect(styleFor({ write: () => true, isTTY: true }, {}).red('x')).toBe('\u001b[31mx\u001b[39m');
  });
});
