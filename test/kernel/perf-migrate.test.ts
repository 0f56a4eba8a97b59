/**
 * Start-up with nothing to migrate (issue 13): one query decides it, without the advisory lock, a transaction or
 * loading any migration module; a database missing a migration still gets the full path.
 */
import { Client } from 'pg';
import { Sequelize } from 'sequelize';
import { migrate, migrationNames, nothingPending } from '../../lib/migrate';
import { unique } from '../support/harness';

let sequelize: Sequelize;
beforeAll(() => { sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false }); });
afterAll(() => sequelize.close());

async function statements(fn: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const original = Client.prototype.query;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    sent.push(typeof q === 'string' ? q : (q?.text ?? '?'));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await fn();
  } finally {
    Client.prototype.query = original;
  }
  return sent.filter((s) => !/^SET client_min_messages|FROM pg_type/.test(s));
}

it('lists the migration files by their stored names', () => {
  const names = migrationNames();
  expect(names).toContain('20261123-0001-account');
  expect(names.every((n) => !/\.(ts|js)$/.test(n))).toBe(true);
});

it('on a migrated database: one statement, nothing applied', async () => {
  let applied: string[] | undefined;
  const sent = await statements(async () => { applied = await migrate(sequelize); });
  expect(applied).toEqual([]);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatch(/schema_migrations/);
});

it('a missing record (or no table at all) means something is pending', async () => {
  const name = migrationNames()[0];
  expect(await nothingPending(sequelize)).toBe(true);
  const db = unique('perf_migrate');
  await sequelize.query(`CREATE DATABASE ${db}`);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${db}`;
  const empty = new Sequelize(url.toString(), { logging: false });
  try {
    expect(await nothingPending(empty)).toBe(false);
    await empty.query('CREATE TABLE public.schema_migrations (name varchar(255) PRIMARY KEY)');
    await empty.query('INSERT INTO public.schema_migrations (name) SELECT unnest(ARRAY[:names]::text[])', { replacements: { names: migrationNames().slice(1) } });
    expect(await nothingPending(empty)).toBe(false); // the first one is missing
    await empty.query('INSERT INTO public.schema_migrations (name) VALUES (:name)', { replacements: { name } });
    expect(await nothingPending(empty)).toBe(true);
  } finally {
    await empty.close();
    await sequelize.query(`DROP DATABASE ${db}`);
  }
});
