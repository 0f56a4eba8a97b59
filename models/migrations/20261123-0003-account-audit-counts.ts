/**
 * account.audit_counts: how many audit actions each account ('u:<username>') and company ('c:<company_key>') has,
 * kept by statement-level triggers so the audit's overall total is one row read instead of a count over the trail.
 * Counter rows are locked in scope order, so concurrent batches cannot deadlock on them.
 */
import type { Migration } from '../../lib/migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE TABLE account.audit_counts (
      scope varchar(300) PRIMARY KEY,
      n     bigint NOT NULL
    );
    CREATE FUNCTION account.audit_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO account.audit_counts AS c (scope, n)
          SELECT scope, n FROM (
            SELECT 'u:' || username AS scope, count(*) AS n FROM changed GROUP BY username
            UNION ALL
            SELECT 'c:' || company_key, count(*) FROM changed GROUP BY company_key
          ) d ORDER BY scope
        ON CONFLICT (scope) DO UPDATE SET n = c.n + EXCLUDED.n;
      ELSE
        UPDATE account.audit_counts AS c SET n = c.n - d.n
          FROM (
            SELECT 'u:' || username AS scope, count(*) AS n FROM changed GROUP BY username
            UNION ALL
            SELECT 'c:' || company_key, count(*) FROM changed GROUP BY company_key
          ) d WHERE c.scope = d.scope;
      END IF;
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER audit_counts_insert AFTER INSERT ON account.audit_actions
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION account.audit_counts_apply();
    CREATE TRIGGER audit_counts_delete AFTER DELETE ON account.audit_actions
      REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION account.audit_counts_apply();
    INSERT INTO account.audit_counts (scope, n)
      SELECT 'u:' || username, count(*) FROM account.audit_actions GROUP BY username
      UNION ALL
      SELECT 'c:' || company_key, count(*) FROM account.audit_actions GROUP BY company_key;
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    DROP TRIGGER IF EXISTS audit_counts_insert ON account.audit_actions;
    DROP TRIGGER IF EXISTS audit_counts_delete ON account.audit_actions;
    DROP FUNCTION IF EXISTS account.audit_counts_apply();
    DROP TABLE IF EXISTS account.audit_counts;
  `);
};
