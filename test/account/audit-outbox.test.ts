/**
 * The audit outbox (handlers/account/_audit.ts): batched writes with each row's own guard, and moves that start after
 * the highest id this process moved, with a full scan at least every second, so that an action committed out of id
 * order (its transaction still open while later actions were moved) still reaches the trail.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { QueryTypes } from 'sequelize';
import { flushAudit, moveOutbox, recordAction } from '../../handlers/account/_audit';
import { eventually } from '../support/harness';
import { accountHarness, createUser, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

const action = (username: string, companyKey: string, operation: string) => ({
  username, companyKey, traceCode: randomUUID(), client: `${companyKey}_|_${username}`, server: 'worker_1', service: 'ACCOUNT',
  operation, time: new Date(), methodGroup: 'NOTRACE',
});

async function where(traceCode: string): Promise<{ outbox: number; trail: number }> {
  const [row] = await h.sequelize.query<{ outbox: number; trail: number }>(
    `SELECT (SELECT count(*)::int FROM account.audit_outbox WHERE trace_code = :t) AS outbox,
            (SELECT count(*)::int FROM account.audit_actions WHERE trace_code = :t) AS trail`,
    { replacements: { t: traceCode }, type: QueryTypes.SELECT });
  return row;
}

describe('audit outbox', () => {
  it('an action committed after actions numbered above it were moved still reaches the trail', async () => {
    const u = await createUser(h);
    const late = new Client({ connectionString: process.env.DATABASE_URL });
    await late.connect();
    try {
      await late.query('BEGIN');
      const straggler = action(u.username, u.companyKey, 'late_one');
      await late.query(
        `INSERT INTO account.audit_outbox (username, company_key, trace_code, client, server, service, operation, time, method_group)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [straggler.username, straggler.companyKey, straggler.traceCode, straggler.client, straggler.server, straggler.service,
          straggler.operation, straggler.time, straggler.methodGroup]);
      // a later action (a higher id) commits and is moved while the first one's transaction is still open
      const later = action(u.username, u.companyKey, 'early_one');
      expect(await recordAction(later)).toBe(true);
      await flushAudit();
      expect(await where(later.traceCode)).toEqual({ outbox: 0, trail: 1 });
      expect(await where(straggler.traceCode)).toEqual({ outbox: 0, trail: 0 }); // not committed yet: invisible
      await late.query('COMMIT');
      // moves as the job makes them (no full scan asked for): the straggler is in the trail within about a second
      await eventually(async () => {
        await moveOutbox();
        expect(await where(straggler.traceCode)).toEqual({ outbox: 0, trail: 1 });
      }, 5000);
    } finally {
      await late.end();
    }
  });

  it('flushAudit waits for rows another mover holds, so when it returns they are in the trail', async () => {
    const u = await createUser(h);
    const held = action(u.username, u.companyKey, 'held_by_mover');
    const mover = new Client({ connectionString: process.env.DATABASE_URL });
    await mover.connect();
    try {
      // a committed outbox row, locked by another mover whose move has not committed yet (the harness's own job may
      // move the row first, between the insert and the lock: then again)
      let locked = 0;
      for (let attempt = 0; attempt < 50 && !locked; attempt++) {
        await h.sequelize.query('DELETE FROM account.audit_actions WHERE trace_code = :t', { replacements: { t: held.traceCode } });
        await h.sequelize.query(`INSERT INTO account.audit_outbox (username, company_key, trace_code, client, server, service, operation, time, method_group)
          VALUES (:u, :c, :t, :client, 'worker_1', 'ACCOUNT', 'held_by_mover', now(), 'NOTRACE')`,
        { replacements: { u: u.username, c: u.companyKey, t: held.traceCode, client: held.client } });
        await mover.query('BEGIN');
        locked = (await mover.query('SELECT id FROM account.audit_outbox WHERE trace_code = $1 FOR UPDATE', [held.traceCode])).rowCount ?? 0;
        if (!locked) await mover.query('ROLLBACK');
      }
      expect(locked).toBe(1);
      let flushed = false;
      const flushing = flushAudit().then(() => { flushed = true; });
      await new Promise((r) => setTimeout(r, 300));
      expect(flushed).toBe(false); // waiting for the mover, not skipping its row
      await mover.query(`WITH moved AS (DELETE FROM account.audit_outbox WHERE trace_code = $1 RETURNING *)
        INSERT INTO account.audit_actions (username, company_key, trace_code, client, server, service, operation, time, method_group)
        SELECT username, company_key, trace_code, client, server, service, operation, time, method_group FROM moved`, [held.traceCode]);
      await mover.query('COMMIT');
      await flushing;
      expect(await where(held.traceCode)).toEqual({ outbox: 0, trail: 1 });
    } finally {
      await mover.end();
    }
  });

  it('writes a batch of concurrent actions, each under its own guard: a stale guard drops only its own row', async () => {
    const a = await createUser(h);
    const b = await createUser(h, { roles: 'USER,ADMIN' });
    const [ua] = await h.sequelize.query<{ token_epoch: string; roles: string[] }>(
      'SELECT token_epoch::text, roles FROM account.users WHERE username = :u', { replacements: { u: a.username }, type: QueryTypes.SELECT });
    const [ub] = await h.sequelize.query<{ token_epoch: string; roles: string[] }>(
      'SELECT token_epoch::text, roles FROM account.users WHERE username = :u', { replacements: { u: b.username }, type: QueryTypes.SELECT });
    const rows = [action(a.username, a.companyKey, 'ok_guarded'), action(b.username, b.companyKey, 'stale_roles'),
      action(a.username, a.companyKey, 'stale_epoch'), action(b.username, b.companyKey, 'unguarded')];
    const written = await Promise.all([
      recordAction(rows[0], { username: a.username, tokenEpoch: Number(ua.token_epoch), companyKey: a.companyKey, roles: ua.roles }),
      recordAction(rows[1], { username: b.username, tokenEpoch: Number(ub.token_epoch), companyKey: b.companyKey, roles: ['USER'] }),
      recordAction(rows[2], { username: a.username, tokenEpoch: Number(ua.token_epoch) + 1, companyKey: a.companyKey, roles: ua.roles }),
      recordAction(rows[3]),
    ]);
    expect(written).toEqual([true, false, false, true]);
    await flushAudit();
    expect(await Promise.all(rows.map((r) => where(r.traceCode)))).toEqual([
      { outbox: 0, trail: 1 }, { outbox: 0, trail: 0 }, { outbox: 0, trail: 0 }, { outbox: 0, trail: 1 }]);
  });

  it('refuses a guard that is not the row user\'s', async () => {
    const a = await createUser(h);
    await expect(recordAction(action(a.username, a.companyKey, 'x'), { username: 'someone_else', tokenEpoch: 0, companyKey: a.companyKey, roles: [] }))
      .rejects.toThrow(/guard/);
  });
});
