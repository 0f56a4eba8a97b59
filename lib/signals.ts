/**
 * SIGINT/SIGTERM for the command-line entry points (server, mock, sandbox). Handlers are installed at once, so a
 * signal that arrives while the process is still starting stops it as soon as it can be stopped; the signal is taken
 * once, and repeats are ignored (a process group signalled by a supervisor also gets the copy npm forwards: a second
 * SIGTERM must not kill a process that is draining).
 */
type Stop = () => Promise<void>;

export interface ShutdownHook {
  /** the process can now be stopped with `stop`; a signal already received stops it now */
  ready(stop: Stop): void;
}

export function shutdownOnSignals(log: (msg: string, sig: string) => void): ShutdownHook {
  let stopFn: Stop | undefined;
  let received: string | undefined;
  const run = () => {
    stopFn!().then(() => process.exit(0), (err) => {
      console.error(`stop failed: ${(err as Error).message}`);
      process.exit(1);
    });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) return;
    received = sig;
    log('signal received', sig);
    if (stopFn) run();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    ready(stop) {
      stopFn = stop;
      if (received) run();
    },
  };
}
