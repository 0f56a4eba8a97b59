/**
 * Audit actions of the service's own calls, written in batches: a call's action joins the current batch, which is
 * inserted with one statement after AUDIT_FLUSH_MS or at AUDIT_BATCH rows. flush() drains it (at shutdown).
 */
import { outsideUnitOfWork } from '../../lib/db/unit-of-work';
import { AuditAction } from '../../models/account';
import type { CreationAttributes } from 'sequelize';

const FLUSH_MS = Number(process.env.AUDIT_FLUSH_MS || 20);
const BATCH = 500;

type Row = CreationAttributes<AuditAction>;
let pending: { rows: Row[]; done: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
let timer: NodeJS.Timeout | undefined;
const inFlight = new Set<Promise<void>>();

function write(): Promise<void> {
  if (timer) clearTimeout(timer);
  timer = undefined;
  const batch = pending;
  pending = undefined;
  if (!batch) return Promise.resolve();
  const p = AuditAction.bulkCreate(batch.rows, { returning: false }).then(() => batch.resolve(), (e) => batch.reject(e));
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p));
  return batch.done;
}

/** Resolves once the action is stored. */
export function recordAction(row: Row): Promise<void> {
  if (!pending) {
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    pending = { rows: [], done, resolve, reject };
    // the batch is written on its own, never inside (nor rolled back with) the request that happened to start it
    timer = setTimeout(() => outsideUnitOfWork(write), FLUSH_MS);
  }
  pending.rows.push(row);
  const done = pending.done;
  if (pending.rows.length >= BATCH) void outsideUnitOfWork(write).catch(() => undefined);
  return done;
}

export async function flushAudit(): Promise<void> {
  await write().catch(() => undefined);
  await Promise.all([...inFlight]);
}
