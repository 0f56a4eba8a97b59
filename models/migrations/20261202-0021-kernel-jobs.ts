/** kernel.job_leases: which process runs each 'leader' background job, until when (lib/jobs). */
import type { Migration } from '../../lib/migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE SCHEMA IF NOT EXISTS kernel;
    CREATE TABLE kernel.job_leases (
      name       text PRIMARY KEY,
      holder     text NOT NULL,
      expires_at timestamptz NOT NULL
    );
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query('DROP TABLE IF EXISTS kernel.job_leases');
};
