/**
 * Limits on streamed answers, which hold a pooled database connection (the request's unit of work) for as long as
 * their client reads. Without them a few slow readers hold the whole pool and every request of every service waits.
 *
 * - per account: ACCOUNT_STREAMS_PER_USER streams at once across every process on the database, counted with
 *   transaction-level advisory locks (one key per account and slot) taken on the stream's own connection, so a slot
 *   is free again exactly when that connection's transaction ends, even if the process dies;
 * - per process: at most ACCOUNT_MAX_STREAMS (default DB_POOL_MAX - 2), so plain requests always find a connection;
 * - per stream: a client that reads nothing for ACCOUNT_STREAM_IDLE_MS is cut off (the connection is destroyed, the
 *   transaction rolls back, the connection returns to the pool).
 * Either limit reached answers 429 with Retry-After.
 */
import type { Socket } from 'node:net';
import { Readable, type Writable } from 'node:stream';
import { QueryTypes } from 'sequelize';
import { currentUnitOfWork } from '../../lib/db/unit-of-work';
import { tooManyRequests } from '../../lib/errors';
import { accountDb } from '../../models/account';
import { maxStreams, securitySettings } from './_security-settings';

/** first key of the two-key advisory locks of stream slots: 'aS' << 16, plus the slot number */
export const LOCK_SPACE = 0x61530000;
const RETRY_AFTER_SECONDS = 5;

let open = 0;

/** Streams this process has open now (for tests and diagnostics). */
export const openStreams = () => open;

/**
 * Takes a stream slot for the account, or throws the 429. Call it inside the request's unit of work, on whose
 * connection the stream will run; the answer releases the process's slot (the account's is released with the transaction).
 */
export async function takeStreamSlot(username: string): Promise<() => void> {
  if (open >= maxStreams()) {
    throw tooManyRequests(`Too many streamed answers in progress; try again in ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS);
  }
  open += 1;
  let released = false;
  const release = () => {
    if (!released) open -= 1;
    released = true;
  };
  try {
    if (!currentUnitOfWork()) throw new Error('a stream slot needs the request\'s unit of work');
    const perUser = securitySettings.values.ACCOUNT_STREAMS_PER_USER;
    for (let slot = 0; slot < perUser; slot++) {
      const [row] = await accountDb().query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok',
        { bind: [LOCK_SPACE + slot, username], type: QueryTypes.SELECT });
      if (row.ok) return release;
    }
  } catch (e) {
    release();
    throw e;
  }
  release();
  throw tooManyRequests(`This account already has ${securitySettings.values.ACCOUNT_STREAMS_PER_USER} streamed answers in progress; `
    + `try again in ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS);
}

/**
 * A readable over `source` for a streamed answer, with the idle-write limit. Once piped into an HTTP response, its
 * socket gets `idleMs` as inactivity timeout: a client that reads nothing lets the socket's buffers fill, writes stop,
 * and the socket is destroyed (which ends the response, so the kernel rolls the unit of work back). Before that, and
 * for a stream nobody reads (a HEAD, a reply never sent), the readable itself is destroyed when nothing pulls from it
 * for `idleMs` while it has data ready (time spent waiting for the source does not count). `onClose` is called once,
 * when both the readable and the response it feeds (if any) are closed.
 */
export function guardedStream(source: AsyncGenerator<string>, opts: { idleMs: number; onClose: () => void }): Readable {
  let pulling = false;
  let lastActivity = Date.now();
  const stream = new Readable({
    read() {
      lastActivity = Date.now();
      if (pulling) return;
      pulling = true;
      source.next().then(({ value, done }) => {
        pulling = false;
        lastActivity = Date.now();
        if (!stream.destroyed) stream.push(done ? null : value);
      }, (err: Error) => {
        pulling = false;
        stream.destroy(err);
      });
    },
    destroy(err, cb) {
      clearInterval(timer);
      source.return(undefined).then(() => cb(err), (e: Error) => cb(err ?? e));
    },
  });
  const timer = setInterval(() => {
    if (!pulling && Date.now() - lastActivity >= opts.idleMs) {
      stream.destroy(new Error(`stream reader idle for ${opts.idleMs} ms: cut off`));
    }
  }, Math.max(20, Math.min(1000, Math.floor(opts.idleMs / 4))));
  timer.unref();

  let pending = 1; // the readable, plus the response it is piped into
  const settle = () => {
    if (--pending === 0) opts.onClose();
  };
  stream.once('close', () => {
    clearInterval(timer);
    settle();
  });
  const pipe = stream.pipe.bind(stream);
  stream.pipe = <W extends NodeJS.WritableStream>(dest: W, options?: { end?: boolean }): W => {
    const socket = (dest as unknown as { socket?: Socket | null }).socket;
    if (socket && !socket.destroyed) {
      pending += 1;
      const onTimeout = () => socket.destroy(new Error(`stream reader idle for ${opts.idleMs} ms: cut off`));
      socket.setTimeout(opts.idleMs, onTimeout);
      (dest as unknown as Writable).once('close', () => {
        // the socket may carry further requests (keep-alive): its own timeouts are the server's again
        socket.removeListener('timeout', onTimeout);
        socket.setTimeout(0);
        settle();
      });
    }
    return pipe(dest, options);
  };
  return stream;
}
