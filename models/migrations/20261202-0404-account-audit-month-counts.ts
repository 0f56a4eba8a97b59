/**
 * account.audit_month_counts: audit actions per account ('u:<username>') or company ('c:<company_key>') and UTC
 * calendar month (the month's first day), kept by statement-level triggers in the same transaction as the actions,
 * like account.audit_day_counts. A deep page of the audit sorted by time skips whole months by these counts and whole
 * days only at the period's edges and inside the month it lands in (handlers/account/read_audit.ts): a few dozen
 * rows read instead of a row per day of the period.
 *
 * The backfill sums the day counts. The triggers are created first, in the same transaction: CREATE TRIGGER holds off
 * inserts into audit_actions until the backfill has committed, so no action is counted twice or missed.
 */
import type { Migration } from '../../lib/migrate';
import { dropTenantPolicySql, tenantGrantsSql, tenantTableSql } from '../../lib/db/rls';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE TABLE account.audit_month_counts (
      scope       varchar(300) NOT NULL,
      company_key varchar(256) NOT NULL,
      month       date NOT NULL,
      n           bigint NOT NULL,
      PRIMARY KEY (scope, month)
    );
    CREATE FUNCTION account.audit_month_counts_apply() RETURNS trigger LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO account.audit_month_counts AS c (scope, company_key, month, n)
          SELECT scope, company_key, month, n FROM (
            SELECT 'u:' || username AS scope, min(company_key) AS company_key,
                   date_trunc('month', time AT TIME ZONE 'UTC')::date AS month, count(*) AS n
              FROM changed GROUP BY username, 3
            UNION ALL
            SELECT 'c:' || company_key, company_key, date_trunc('month', time AT TIME ZONE 'UTC')::date, count(*)
              FROM changed GROUP BY company_key, 3
          ) m ORDER BY scope, month
        ON CONFLICT (scope, month) DO UPDATE SET n = c.n + EXCLUDED.n;
      ELSE
        UPDATE account.audit_month_counts AS c SET n = c.n - m.n
          FROM (
            SELECT 'u:' || username AS scope, date_trunc('month', time AT TIME ZONE 'UTC')::date AS month, count(*) AS n
              FROM changed GROUP BY username, 2
            UNION ALL
            SELECT 'c:' || company_key, date_trunc('month', time AT TIME ZONE 'UTC')::date, count(*) FROM changed GROUP BY company_key, 2
          ) m WHERE c.scope = m.scope AND c.month = m.month;
      END IF;
      RETURN NULL;
    END
    $fn$;
    REVOKE EXECUTE ON FUNCTION account.audit_month_counts_apply() FROM PUBLIC;
    CREATE TRIGGER audit_month_counts_insert AFTER INSERT ON account.audit_actions
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION account.audit_month_counts_apply();
    CREATE TRIGGER audit_month_counts_delete AFTER DELETE ON account.audit_actions
      REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION account.audit_month_counts_apply();
    INSERT INTO account.audit_month_counts (scope, company_key, month, n)
      SELECT scope, min(company_key), date_trunc('month', day::timestamp)::date, sum(n) FROM account.audit_day_counts GROUP BY scope, 3;
    ${tenantGrantsSql('account', { tables: ['account.audit_month_counts'], privileges: 'SELECT' })}
    ${tenantTableSql('account.audit_month_counts', 'company_key')}
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    DROP TRIGGER IF EXISTS audit_month_counts_insert ON account.audit_actions;
    DROP TRIGGER IF EXISTS audit_month_counts_delete ON account.audit_actions;
    DROP FUNCTION IF EXISTS account.audit_month_counts_apply();
    ${dropTenantPolicySql('account.audit_month_counts')}
    DROP TABLE IF EXISTS account.audit_month_counts;
  `);
};
