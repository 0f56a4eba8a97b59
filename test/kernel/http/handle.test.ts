/**
 * Stage 6, handle (lib/http/handle.ts): with a sequelize the handler runs in the request's unit of work: a throw or a
 * drifting reply rolls its writes back, a JSON answer is sent only after the commit, the principal's tenant is set
 * (row-level security through lib/db/rls.ts on a table of this test's own), a streamed reply is written inside the
 * transaction.
 */
import { QueryTypes, Sequelize } from 'sequelize';
import { tenantGrantsSql, tenantRoleSql, tenantTableSql, TENANT_ROLE } from '../../../lib/db/rls';
import { unique } from '../../support/harness';
import { buildApp, NOTES, type StagesApp } from './_app';

let sequelize: Sequelize;
let t: StagesApp;

beforeAll(async () => {
  sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false });
  await sequelize.query(`
    CREATE SCHEMA IF NOT EXISTS stages_test;
    CREATE TABLE IF NOT EXISTS ${NOTES} (
      id serial PRIMARY KEY,
      tenant text NOT NULL DEFAULT current_setting('app.tenant', true),
      text text NOT NULL,
      slow_commit boolean NOT NULL DEFAULT false
    );
    -- a commit that takes its time: a row asking for it sleeps in a deferred trigger, which runs at COMMIT
    CREATE OR REPLACE FUNCTION stages_test.sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.slow_commit THEN PERFORM pg_sleep(0.5); END IF;
      RETURN NULL;
    END $$;
    DROP TRIGGER IF EXISTS sleep_at_commit ON ${NOTES};
    CREATE CONSTRAINT TRIGGER sleep_at_commit AFTER INSERT ON ${NOTES} DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION stages_test.sleep_at_commit();
    ${tenantRoleSql()}
    ${tenantGrantsSql('stages_test')}
    ${tenantTableSql(NOTES, 'tenant')}
  `);
  t = await buildApp({ sequelize });
});
afterAll(async () => {
  await sequelize.query('DROP SCHEMA stages_test CASCADE');
  await sequelize.close();
});
beforeEach(() => { t.calls.length = 0; });

/** Rows of a text, seen from this test's own connection (superuser, no tenant, committed rows only). */
const rows = (text: string) => sequelize.query<{ tenant: string; text: string }>(`SELECT tenant, text FROM ${NOTES} WHERE text = $1`, { bind: [text], type: QueryTypes.SELECT });
const post = (body: object, token = 'alice') =>
  t.request().post('/stages/notes').set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').send(JSON.stringify(body));

it('rolls back what the handler wrote when it throws after writing', async () => {
  const text = unique('thrown');
  const res = await post({ text, then: 'throw' });
  expect(res.status).toBe(500);
  expect(res.body).toEqual(expect.objectContaining({ kind: 'internal', message: 'Internal server error' }));
  expect(t.calls).toHaveLength(1);
  expect(await rows(text)).toEqual([]);
});

it('rolls back what the handler wrote when its reply drifts from the spec', async () => {
  const text = unique('drifted');
  const res = await post({ text, then: 'drift' });
  expect(res.status).toBe(500);
  expect(await rows(text)).toEqual([]);
});

it('commits a successful write before the answer is received', async () => {
  const text = unique('kept');
  const res = await post({ text, slowCommit: true }); // the commit itself takes 0.5 s
  expect(res.status).toBe(200);
  expect(await rows(text)).toEqual([{ tenant: 't_alice', text }]);
});

it('runs the handler as the tenant role with the principal\'s tenant: it sees and writes only that tenant\'s rows', async () => {
  const mine = unique('alice_old');
  const theirs = unique('bob_old');
  await sequelize.query(`INSERT INTO ${NOTES} (tenant, text) VALUES ('t_alice', $1), ('t_bob', $2)`, { bind: [mine, theirs] });
  const text = unique('alice_new');
  const res = await post({ text });
  expect(res.status).toBe(200);
  expect(res.body).toEqual(expect.objectContaining({ tenant: 't_alice', role: TENANT_ROLE }));
  expect(res.body.visible).toEqual(expect.arrayContaining([mine, text]));
  expect(res.body.visible).not.toContain(theirs);
  const bob = await post({ text: unique('bob_new') }, 'bob');
  expect(bob.body.tenant).toBe('t_bob');
  expect(bob.body.visible).toContain(theirs);
  expect(bob.body.visible).not.toContain(mine);
  expect(bob.body.visible).not.toContain(text);
});

it('writes a streamed reply inside the transaction, and commits after it', async () => {
  const text = unique('streamed');
  const res = await post({ text, then: 'stream' });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain');
  const lines = res.text.trim().split('\n');
  expect(lines).toHaveLength(3);
  // each chunk was read through the request's transaction: tenant role, and the uncommitted row already visible
  lines.forEach((l, i) => {
    expect(l.startsWith(`${i} ${TENANT_ROLE} t_alice `)).toBe(true);
    expect(l.split(' ')[3].split(',')).toContain(text);
  });
  expect(await rows(text)).toEqual([{ tenant: 't_alice', text }]);
});

it('rolls back the handler\'s write and answers 503 when the call cannot be recorded', async () => {
  const text = unique('unrecorded');
  t.failRecord.on = true;
  try {
    const res = await post({ text });
    expect(res.status).toBe(503);
    expect(res.body.kind).toBe('unavailable');
  } finally {
    t.failRecord.on = false;
  }
  expect(await rows(text)).toEqual([]);
});

it('records a handled call in the unit of work', async () => {
  t.records.length = 0;
  const res = await post({ text: unique('recorded') });
  expect(res.status).toBe(200);
  expect(t.records.map((r) => [r.operationId, r.status])).toEqual([['create_note', 200]]);
});

it('hands the handler its transaction, and none without a sequelize', async () => {
  await t.request().get('/stages/items/1');
  expect(t.calls[0].ctx.transaction).toBeDefined();
  const bare = await buildApp();
  await bare.request().get('/stages/items/1');
  expect(bare.calls[0].ctx.transaction).toBeUndefined();
});
