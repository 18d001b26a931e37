/**
 * Inside the local cloud's process, time is the simulated clock's: `Date.now()` and `new Date()` read it, so
 * handlers and the code they call see the time MGN's data shows, exactly as a Lambda sees real time on AWS.
 * Timers (setTimeout) and performance.now() stay on the wall clock. `install` returns the undo.
 */
export interface TimeSource {
  now(): number;
}

const RealDate = Date;
const stack: TimeSource[] = [];

function current(): TimeSource | undefined {
  return stack[stack.length - 1];
}

class SimulatedDate extends RealDate {
  constructor(...args: unknown[]) {
    const source = current();
    if (args.length === 0 && source) super(source.now());
    else super(...(args as []));
  }

  static override now(): number {
    return current()?.now() ?? RealDate.now();
  }
}

export function installSimulatedDate(source: TimeSource): () => void {
  stack.push(source);
  globalThis.Date = SimulatedDate as DateConstructor;
  return () => {
    const i = stack.lastIndexOf(source);
    if (i >= 0) stack.splice(i, 1);
    if (stack.length === 0) globalThis.Date = RealDate;
  };
}
