/**
 * sm recurring windows (extension): a mode may carry an RFC 5545 RRULE and an IANA zone; its occurrences are
 * materialised in sm.mode_occurrences (every mode has at least its one window there), and its effective set's window
 * spans the whole series, so "is CI X in maintenance at T" stays one indexed query.
 */
import type { Migration } from '../../lib/migrate';
import { dropTenantPolicySql, tenantGrantsSql, tenantTableSql } from '../../lib/db/rls';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    ALTER TABLE sm.modes ADD COLUMN rrule text, ADD COLUMN timezone text, ADD COLUMN series_end_ms bigint;
    CREATE TABLE sm.mode_occurrences (
      mode_id    bigint NOT NULL REFERENCES sm.modes (id) ON DELETE CASCADE,
      workspace  text NOT NULL,
      start_ms   bigint NOT NULL,
      end_ms     bigint NOT NULL,
      PRIMARY KEY (mode_id, start_ms)
    );
    INSERT INTO sm.mode_occurrences (mode_id, workspace, start_ms, end_ms)
      SELECT id, workspace, start_ms, CASE WHEN cancelled_ms IS NULL THEN end_ms ELSE GREATEST(start_ms, LEAST(cancelled_ms, end_ms)) END FROM sm.modes;
    ${tenantGrantsSql('sm', { tables: ['sm.mode_occurrences'] })}
    ${tenantTableSql('sm.mode_occurrences', 'workspace')}
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    ${dropTenantPolicySql('sm.mode_occurrences')}
    DROP TABLE sm.mode_occurrences;
    ALTER TABLE sm.modes DROP COLUMN rrule, DROP COLUMN timezone, DROP COLUMN series_end_ms;
  `);
};
