/**
 * b2b: failed AR-REST signatures counted per user (`u:<uid>`) and per client address (`a:<address>`, an IPv6 client by
 * its /64), so every server process on the database sees the same counters (handlers/b2b/_throttle.ts). Written by
 * the authentication on its own connection, never inside a tenant's unit of work: no tenant grant, no policy.
 */
import type { Migration } from '../../lib/migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE TABLE b2b.auth_throttle (
      key               varchar(160) PRIMARY KEY,
      failures          integer NOT NULL,
      window_started_at timestamptz NOT NULL,
      locked_until      timestamptz
    );
    -- finding rows whose window and lock are over, to forget them
    CREATE INDEX auth_throttle_window ON b2b.auth_throttle (window_started_at);
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query('DROP TABLE IF EXISTS b2b.auth_throttle');
};
