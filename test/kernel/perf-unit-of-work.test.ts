/**
 * Round trips of the request path (issue 13): a tenant unit of work begins with its role and tenant in one round trip,
 * and a databaseFree handler runs with no connection at all, while a query from it fails instead of running unscoped.
 */
import { Client } from 'pg';
import { QueryTypes, Sequelize } from 'sequelize';
import { withoutDatabase, withUnitOfWork } from '../../lib/db/unit-of-work';
import { TENANT_ROLE } from '../../lib/db/rls';
import { accountHarness, createUser, type Harness } from '../account/_fixtures';

let sequelize: Sequelize;
let h: Harness;
beforeAll(async () => {
  sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false, define: { underscored: true } });
  h = await accountHarness();
});
afterAll(async () => {
  await h.close();
  await sequelize.close();
});

/**
 * The statements the pg driver sends while fn runs (every round trip is one Client#query), leaving out a new pooled
 * connection's own set-up and the harness's audit outbox job; `onClientOf` keeps only those of the connection that
 * sent a statement matching it.
 */
async function statements(fn: () => Promise<unknown>, onClientOf?: RegExp): Promise<string[]> {
  const sent: Array<{ client: Client; text: string }> = [];
  const original = Client.prototype.query;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    sent.push({ client: this, text: typeof q === 'string' ? q : (q?.text ?? '?') });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await fn();
  } finally {
    Client.prototype.query = original;
  }
  const own = sent.filter((s) => !/^SET client_min_messages|FROM pg_type|audit_outbox (WHERE id > \d+ )?ORDER BY id LIMIT/.test(s.text));
  const client = onClientOf && own.find((s) => onClientOf.test(s.text))?.client;
  return own.filter((s) => !onClientOf || s.client === client).map((s) => s.text);
}

describe('a tenant unit of work', () => {
  it('begins, takes the tenant role and sets the tenant in one round trip', async () => {
    const tenant = "o'brien\\co"; // a quote and a backslash: the literal must survive escaping
    let seen: { role: string; tenant: string } | undefined;
    const sent = await statements(() => withUnitOfWork(sequelize, { tenant }, async () => {
      [seen] = await sequelize.query<{ role: string; tenant: string }>(
        "SELECT current_user AS role, current_setting('app.tenant') AS tenant", { type: QueryTypes.SELECT });
    }), /current_setting\('app.tenant'\) AS tenant/);
    expect(seen).toEqual({ role: TENANT_ROLE, tenant });
    expect(sent).toHaveLength(3); // begin with the settings, the query, COMMIT
    expect(sent[0]).toMatch(/^START TRANSACTION; SELECT set_config\('role'/);
    expect(sent[2]).toMatch(/^COMMIT/);
  });

  it('keeps the settings transaction-local: the connection is back to its own role afterwards', async () => {
    await withUnitOfWork(sequelize, { tenant: 'acme' }, async () => undefined);
    const rows = await sequelize.query<{ role: string; tenant: string | null }>(
      "SELECT current_user AS role, nullif(current_setting('app.tenant', true), '') AS tenant", { type: QueryTypes.SELECT });
    expect(rows[0].role).not.toBe(TENANT_ROLE);
    expect(rows[0].tenant).toBeNull();
  });

  it('begins without settings for an unscoped unit of work', async () => {
    const sent = await statements(() => withUnitOfWork(sequelize, { tenant: null }, async () => undefined));
    expect(sent.map((s) => s.trim().replace(/;$/, ''))).toEqual(['START TRANSACTION', 'COMMIT']);
  });
});

describe('databaseFree handlers', () => {
  it('a query inside withoutDatabase throws, naming the operation, and the guard ends with it', async () => {
    await expect(withoutDatabase('read_info', () => sequelize.query('SELECT 1'))).rejects.toThrow(/read_info is declared databaseFree/);
    await expect(sequelize.query('SELECT 1', { type: QueryTypes.SELECT })).resolves.toEqual([{ '?column?': 1 }]);
  });

  it('GET /account/info opens no transaction, and its audit action is committed before the answer', async () => {
    const u = await createUser(h);
    let status = 0;
    const sent = await statements(async () => { status = (await h.call('get', '/account/info', { token: u.token })).status; });
    expect(status).toBe(200);
    expect(sent.filter((s) => /START TRANSACTION|COMMIT/.test(s))).toEqual([]);
    // committed before the answer: visible at once, from another connection, in the outbox or already in the trail
    const [{ n }] = await h.sequelize.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM account.audit_outbox WHERE username = :u AND operation = 'read_info')
            + (SELECT count(*) FROM account.audit_actions WHERE username = :u AND operation = 'read_info') AS n`,
      { replacements: { u: u.username }, type: QueryTypes.SELECT });
    expect(Number(n)).toBe(1);
  });

  it('GET /account/system/version touches no database at all', async () => {
    const sent = await statements(async () => expect((await h.call('get', '/account/system/version')).status).toBe(200));
    // the audit job of the harness may run meanwhile: only its own statements may appear; the principal cache's
    // listener (its own connection) may (re)subscribe meanwhile too: that is not the request's
    expect(sent.filter((s) => !/^LISTEN /.test(s))).toEqual([]);
  });
});
