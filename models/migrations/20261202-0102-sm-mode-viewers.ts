/**
 * sm: who may see each mode, materialised (sm.mode_viewers: a user sees a mode when it may view a CI of the mode's
 * effective set), so a list counts and pages a user's modes through one index instead of joining every mode's CIs
 * with every right. Kept by the code that changes effective sets or rights (handlers/sm/_graph.ts).
 */
import type { Migration } from '../../lib/migrate';
import { dropTenantPolicySql, tenantGrantsSql, tenantTableSql } from '../../lib/db/rls';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE TABLE sm.mode_viewers (
      user_id    bigint NOT NULL REFERENCES sm.users (id) ON DELETE CASCADE,
      mode_id    bigint NOT NULL REFERENCES sm.modes (id) ON DELETE CASCADE,
      workspace  text NOT NULL,
      PRIMARY KEY (user_id, mode_id)
    );
    CREATE INDEX mode_viewers_mode ON sm.mode_viewers (mode_id);
    CREATE INDEX user_rights_ci ON sm.user_rights (workspace, ci_id);
    INSERT INTO sm.mode_viewers (user_id, mode_id, workspace)
      SELECT DISTINCT r.user_id, mc.mode_id, mc.workspace FROM sm.mode_cis mc JOIN sm.user_rights r ON r.workspace = mc.workspace AND r.ci_id = mc.ci_id;
    ${tenantGrantsSql('sm', { tables: ['sm.mode_viewers'] })}
    ${tenantTableSql('sm.mode_viewers', 'workspace')}
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    ${dropTenantPolicySql('sm.mode_viewers')}
    DROP TABLE sm.mode_viewers;
    DROP INDEX sm.user_rights_ci;
  `);
};
