import type { LocalCloud } from './index.ts';

/**
 * A fast clock for big scenarios: simulated time jumps `stepSeconds` ahead whenever the cloud is idle (no
 * handler running, and no MGN request, handler invocation, delivery or newly scheduled action
 * for a few event-loop turns), on top of the cloud's own time scale. Time never outruns the work, so no
 * timeout fires because the machine is slow, and idle stretches (jobs converting, soaks) cost no wall time.
 * Returns a stop function that puts the Lambda runtime back as it was.
 */
export function advanceWhenIdle(cloud: LocalCloud, opts: { stepSeconds?: number; quietTurns?: number } = {}): { stop: () => void; steps: () => number } {
  const step = opts.stepSeconds ?? 30;
  const quietTurns = opts.quietTurns ?? 3;
  const lambda = cloud.lambda;
  const invoke = lambda.invoke;
  let running = 0;
  lambda.invoke = async (key: string, event: unknown) => {
    running++;
    try {
      return await invoke.call(lambda, key, event);
    } finally {
      running--;
    }
  };
  const signature = () => `${cloud.emulator.http.log.length}/${lambda.invocations.length}/${cloud.bus.pending}/${cloud.clock.pending}`;
  let stopped = false;
  let steps = 0;
  void (async () => {
    while (!stopped) {
      let quiet = 0;
      let last = signature();
      while (quiet < quietTurns && !stopped) {
        await new Promise((r) => setTimeout(r, 2));
        const now = signature();
        if (running === 0 && now === last) quiet++;
        else {
          quiet = 0;
          last = now;
        }
      }
      if (stopped) break;
      cloud.clock.advance(step);
      steps++;
    }
  })();
  return {
    stop: () => {
      stopped = true;
      lambda.invoke = invoke;
    },
    steps: () => steps,
  };
}
