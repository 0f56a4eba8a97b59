/**
 * Background loops that stay correct when several server processes share one database.
 *
 * A job runs every `everyMs` after its previous run ended (so it never overlaps itself), outside any unit of work.
 * 'every-process' jobs run in each process. 'leader' jobs run in one process at a time: the one holding the job's
 * lease, a row of kernel.job_leases taken or renewed with one atomic upsert that succeeds only when the lease has
 * expired or is already ours. The lease outlives the period and is renewed at every tick and, during a long run, by a
 * heartbeat; a run whose lease is lost (the database was unreachable longer than the lease) sees its signal aborted.
 * A failing run is logged and retried at the next tick. While a job keeps failing with the same error (the database
 * is down, say, and the job ticks every 20 ms), the repeats are counted, not logged, and a line says so at most every
 * REPEAT_LOG_MS; the first success after failures is logged with their count. stop() aborts the signal, waits for the
 * run in progress and releases the leases, so another process takes over at its next tick instead of after the lease
 * expires.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { outsideUnitOfWork } from '../db/unit-of-work';

export interface JobSpec {
  name: string;
  everyMs: number;
  mode: 'leader' | 'every-process';
  /** Receives a signal aborted at stop() or when the lease is lost: a long run should check it and return early. */
  run(signal: AbortSignal): Promise<void>;
  /** 'leader': how long a lease lasts without renewal (default max(2 x everyMs, everyMs + 5 s)); a crashed leader is replaced after it. */
  leaseMs?: number;
}

export interface JobsHandle {
  stop(): Promise<void>;
}

/** The subset of a pino logger the loops use. */
export interface JobsLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const timer = setTimeout(done, ms);
  function done() {
    clearTimeout(timer);
    signal.removeEventListener('abort', done);
    resolve();
  }
  signal.addEventListener('abort', done);
});

/** how often a job failing again and again with the same error says so */
export const REPEAT_LOG_MS = 30_000;

/**
 * One kind of failure of one job (its runs, or its lease): the first failure of a streak is logged, and so is each
 * new error message; the same message again is counted and reported at most every REPEAT_LOG_MS; recovery is logged
 * with the streak's length.
 */
function failureStreak(log: JobsLog, level: 'error' | 'warn', job: string, what: string) {
  let failures = 0;
  let lastMessage: string | undefined;
  let lastLoggedAt = 0;
  let unlogged = 0;
  return {
    failed(err: unknown) {
      failures += 1;
      const message = err instanceof Error ? err.message : String(err);
      const now = Date.now();
      if (message !== lastMessage || now - lastLoggedAt >= REPEAT_LOG_MS) {
        const repeats = unlogged ? { repeatsNotLogged: unlogged } : {};
        log[level]({ err, job, failures, ...repeats }, failures === 1 ? what : `${what} (still failing)`);
        lastMessage = message;
        lastLoggedAt = now;
        unlogged = 0;
      } else {
        unlogged += 1;
      }
    },
    succeeded() {
      if (failures > 1 || unlogged) log.info({ job, failures }, `${what}: succeeded again after ${failures} failures`);
      else if (failures === 1) log.info({ job, failures }, `${what}: succeeded again`);
      failures = 0;
      lastMessage = undefined;
      unlogged = 0;
    },
  };
}

export function startJobs(sequelize: Sequelize, jobs: JobSpec[], log: JobsLog): JobsHandle {
  const names = new Set<string>();
  for (const job of jobs) {
    if (names.has(job.name)) throw new Error(`job ${job.name} is declared twice`);
    names.add(job.name);
    if (!(job.everyMs > 0)) throw new Error(`job ${job.name}: everyMs must be positive`);
    if (job.leaseMs !== undefined && !(job.leaseMs > job.everyMs)) throw new Error(`job ${job.name}: leaseMs must exceed everyMs`);
  }
  const holder = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  const stopping = new AbortController();

  /** Takes or renews the lease; true when this handle holds it now. */
  async function lease(job: JobSpec, leaseMs: number): Promise<boolean> {
    const rows = await sequelize.query(
      `INSERT INTO kernel.job_leases AS l (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
         WHERE l.expires_at < now() OR l.holder = EXCLUDED.holder
       RETURNING l.holder`,
      { bind: [job.name, holder, leaseMs], type: QueryTypes.SELECT, transaction: null },
    );
    return rows.length === 1;
  }

  async function release(job: JobSpec): Promise<void> {
    await sequelize.query('DELETE FROM kernel.job_leases WHERE name = $1 AND holder = $2',
      { bind: [job.name, holder], transaction: null });
  }

  /** One run with its own signal, aborted at stop() or, for a leader, when a heartbeat finds the lease lost. */
  const runFailures = new Map(jobs.map((job) => [job.name, failureStreak(log, 'error', job.name, 'job run failed; retried at the next tick')]));
  const leaseFailures = new Map(jobs.map((job) => [job.name, failureStreak(log, 'warn', job.name, 'job lease could not be taken or renewed')]));

  async function runOnce(job: JobSpec, leaseMs: number): Promise<void> {
    const controller = new AbortController();
    const onStop = () => controller.abort(stopping.signal.reason);
    stopping.signal.addEventListener('abort', onStop);
    let heartbeat: NodeJS.Timeout | undefined;
    // One renewal at a time, and the run is not over until it has settled: a renewal still in flight on another
    // connection when stop() releases the lease would otherwise write the lease back after the release.
    let renewing: Promise<void> | undefined;
    if (job.mode === 'leader') {
      heartbeat = setInterval(() => {
        if (renewing) return;
        renewing = lease(job, leaseMs).then((held) => {
          if (!held && !controller.signal.aborted) {
            log.warn({ job: job.name, holder }, 'job lease lost during a run: aborting it');
            controller.abort(new Error(`lease of job ${job.name} lost`));
          }
        }, (err) => log.warn({ err, job: job.name }, 'job lease renewal failed')).finally(() => { renewing = undefined; });
      }, Math.max(1, Math.min(job.everyMs, Math.floor(leaseMs / 3))));
    }
    try {
      await job.run(controller.signal);
      runFailures.get(job.name)!.succeeded();
    } catch (err) {
      runFailures.get(job.name)!.failed(err);
    } finally {
      if (heartbeat) clearInterval(heartbeat);
      stopping.signal.removeEventListener('abort', onStop);
      await renewing;
    }
  }

  async function loop(job: JobSpec): Promise<void> {
    const leaseMs = job.leaseMs ?? Math.max(2 * job.everyMs, job.everyMs + 5_000);
    let leading = false;
    while (!stopping.signal.aborted) {
      let mine = true;
      if (job.mode === 'leader') {
        try {
          mine = await lease(job, leaseMs);
          leaseFailures.get(job.name)!.succeeded();
        } catch (err) {
          mine = false;
          leaseFailures.get(job.name)!.failed(err);
        }
        if (mine !== leading) log.info({ job: job.name, holder }, mine ? 'job lease taken' : 'job lease lost');
        leading = mine;
      }
      if (mine && !stopping.signal.aborted) await runOnce(job, leaseMs);
      await sleep(job.everyMs, stopping.signal);
    }
    if (leading) await release(job).catch((err) => log.warn({ err, job: job.name }, 'job lease release failed'));
  }

  // Loops never join a unit of work, whatever context starts them.
  const loops = outsideUnitOfWork(() => jobs.map((job) => loop(job).catch((err) => log.error({ err, job: job.name }, 'job loop crashed'))));
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      return (stopped ??= (async () => {
        stopping.abort(new Error('jobs stopping'));
        await Promise.all(loops);
      })());
    },
  };
}

/**
 * Claims up to a batch of a work queue's rows for this process: `claimSql` is a `SELECT ... FOR UPDATE SKIP LOCKED
 * LIMIT n`, run in a transaction of its own (outside any unit of work); `handle` gets the rows and the transaction
 * and should finish them in it (delete them, mark them done). Other processes skip the claimed rows instead of waiting,
 * and a failure in `handle` rolls back and leaves the rows for the next claim. Returns how many rows were claimed.
 */
export async function claimBatch<R extends object>(
  sequelize: Sequelize,
  claimSql: string,
  handle: (rows: R[], transaction: Transaction) => Promise<void>,
  opts: { bind?: unknown[] } = {},
): Promise<number> {
  if (!/\bfor\s+update\s+skip\s+locked\b/i.test(claimSql)) throw new Error('claimBatch: the claim must be SELECT ... FOR UPDATE SKIP LOCKED');
  return outsideUnitOfWork(() => sequelize.transaction(async (transaction) => {
    const rows = await sequelize.query<R>(claimSql, { bind: opts.bind, type: QueryTypes.SELECT, transaction });
    if (rows.length) await handle(rows, transaction);
    return rows.length;
  }));
}
