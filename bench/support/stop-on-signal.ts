/**
 * Stops a bench's servers when the bench is interrupted (Ctrl-C, SIGTERM from a timeout). Node's
 * default on those signals is to exit at once, skipping every `finally`: the Temporal dev server, the
 * time-skipping test server and the AWS emulator are processes of their own and would run on as
 * orphans. A bench registers each stop here while its server lives; on the first signal every
 * registered stop runs (newest first) and the process exits with 128 + the signal's number, as a
 * shell reports a process the signal ended. A second signal exits at once.
 */
import { constants } from 'node:os';

type Stop = () => Promise<unknown>;

const registered: Stop[] = [];
let installed = false;
let stopping = false;

/** Registers `stop` until the returned function is called (when the bench stopped it itself). */
export function stopOnSignal(stop: Stop): () => void {
  install();
  registered.push(stop);
  return () => {
    const at = registered.indexOf(stop);
    if (at >= 0) registered.splice(at, 1);
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const code = 128 + constants.signals[signal];
      if (stopping) process.exit(code);
      stopping = true;
      process.stderr.write(`${signal}: stopping the bench's servers\n`);
      void stopAll().finally(() => process.exit(code));
    });
  }
}

async function stopAll(): Promise<void> {
  for (const stop of registered.splice(0).reverse()) await stop().catch(() => undefined);
}
