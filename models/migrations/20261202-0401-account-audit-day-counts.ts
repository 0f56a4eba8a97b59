/**
 * account.audit_day_counts: audit actions per account ('u:<username>') or company ('c:<company_key>') and UTC day,
 * kept by statement-level triggers in the same transaction as the actions, like account.audit_counts. A deep page of
 * the audit sorted by time skips whole days by their counts and walks the index only inside the day it lands in
 * (handlers/account/read_audit.ts), instead of walking every entry before the offset.
 */
import type { Migration } from '../../lib/migrate';
import { dropTenantPolicySql, tenantGrantsSql, tenantTableSql } from '../../lib/db/rls';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE TABLE account.audit_day_counts (
      scope       varchar(300) NOT NULL,
      company_key varchar(256) NOT NULL,
      day         date NOT NULL,
      n           bigint NOT NULL,
      PRIMARY KEY (scope, day)
    );
    CREATE FUNCTION account.audit_day_counts_apply() RETURNS trigger LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO account.audit_day_counts AS c (scope, company_key, day, n)
          SELECT scope, company_key, day, n FROM (
            SELECT 'u:' || username AS scope, min(company_key) AS company_key, (time AT TIME ZONE 'UTC')::date AS day, count(*) AS n
              FROM changed GROUP BY username, 3
            UNION ALL
            SELECT 'c:' || company_key, company_key, (time AT TIME ZONE 'UTC')::date, count(*) FROM changed GROUP BY company_key, 3
          ) d ORDER BY scope, day
        ON CONFLICT (scope, day) DO UPDATE SET n = c.n + EXCLUDED.n;
      ELSE
        UPDATE account.audit_day_counts AS c SET n = c.n - d.n
          FROM (
            SELECT 'u:' || username AS scope, (time AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM changed GROUP BY username, 2
            UNION ALL
            SELECT 'c:' || company_key, (time AT TIME ZONE 'UTC')::date, count(*) FROM changed GROUP BY company_key, 2
          ) d WHERE c.scope = d.scope AND c.day = d.day;
      END IF;
      RETURN NULL;
    END
    $fn$;
    REVOKE EXECUTE ON FUNCTION account.audit_day_counts_apply() FROM PUBLIC;
    CREATE TRIGGER audit_day_counts_insert AFTER INSERT ON account.audit_actions
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION account.audit_day_counts_apply();
    CREATE TRIGGER audit_day_counts_delete AFTER DELETE ON account.audit_actions
      REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION account.audit_day_counts_apply();
    INSERT INTO account.audit_day_counts (scope, company_key, day, n)
      SELECT 'u:' || username, min(company_key), (time AT TIME ZONE 'UTC')::date, count(*) FROM account.audit_actions GROUP BY username, 3
      UNION ALL
      SELECT 'c:' || company_key, company_key, (time AT TIME ZONE 'UTC')::date, count(*) FROM account.audit_actions GROUP BY company_key, 3;
    ${tenantGrantsSql('account', { tables: ['account.audit_day_counts'], privileges: 'SELECT' })}
    ${tenantTableSql('account.audit_day_counts', 'company_key')}
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    DROP TRIGGER IF EXISTS audit_day_counts_insert ON account.audit_actions;
    DROP TRIGGER IF EXISTS audit_day_counts_delete ON account.audit_actions;
    DROP FUNCTION IF EXISTS account.audit_day_counts_apply();
    ${dropTenantPolicySql('account.audit_day_counts')}
    DROP TABLE IF EXISTS account.audit_day_counts;
  `);
};
