/**
 * account.usage_days: the statistics and the report (handlers/account/_statistics.ts) read usage per local day,
 * service and method group from this daily roll-up instead of aggregating every audit action of the period (ten
 * years of a busy account are a million actions but ~44,000 roll-up rows; hourly roll-ups would not shrink that).
 *
 * - A user's roll-up is built for one timezone (whole hours east of UTC): account.usage_state.tz. When the reader asks
 *   for another one (the account's timezone changed) or the state is NULL (actions were deleted or updated, or the
 *   roll-up was never built), account.usage_days_build rebuilds that user's rows from the trail.
 * - Rows are kept per company too (the actions' company_key), so the tenant policy hides exactly the actions the
 *   old aggregation over account.audit_actions hid: a user's statistics count their actions of the current company.
 * - unique_points is exact: a trace code counts once per (local day, service, method group, company) with its largest
 *   points. A statement-level trigger adds, for each such group of the new rows, greatest(new max - old max, 0), the old
 *   max being over the rows that were there before the statement (found through audit_actions_user_trace, and only
 *   looked up when the roll-up already has the group's row: no row means no earlier action in that group).
 *
 * Concurrency (READ COMMITTED, the isolation of every unit of work here). Both the insert trigger and the rebuild take
 * the user's state row FOR NO KEY UPDATE before anything else, users in username order:
 * - Two batches of one user are serialised, so the second computes its old max with a snapshot taken after the first
 *   committed (each statement of a plpgsql function takes a new snapshot under READ COMMITTED). A share lock would
 *   not do: two batches holding it together would each miss the other's rows of a trace retried in both and count
 *   the trace twice.
 * - A rebuild that locks first: the inserter waits at its lock until the rebuild commits, then re-reads the state
 *   row's newest version (the new tz) and adds its rows under that tz with a fresh snapshot that sees the rebuilt
 *   roll-up and every committed action; its own actions were uncommitted during the rebuild, so counted once.
 * - An inserter that locks first: the rebuild waits until it commits; the rebuild's later statements take snapshots
 *   that include the inserter's actions, and the rows the inserter added to the roll-up under the old tz are deleted
 *   with the rest.
 * - Deletes and updates of actions (none in the application; tests and manual maintenance) set the state to NULL under
 *   the same lock, so the next read rebuilds; TRUNCATE does that for everybody.
 * Locks are held to commit: a transaction inserting several batches (usage ingestion) for different users in another
 * order than a concurrent one can deadlock like the counters of 20261123-0003 already can; PostgreSQL aborts one.
 */
import type { Migration } from '../../lib/migrate';
import { dropTenantPolicySql, tenantGrantsSql, tenantTableSql } from '../../lib/db/rls';

/** The local day of an action for a timezone `tz` (hours east of UTC), as the old per-request aggregation had it. */
const LOCAL_DAY = (time: string, tz: string) => `(${time} AT TIME ZONE make_interval(hours => ${tz}))::date`;

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    -- the index and the roll-ups of a large trail take longer than a request's statement may (4M actions: ~40 s);
    -- LOCAL: the migrations' transaction only
    SET LOCAL statement_timeout = 0;
    CREATE INDEX audit_actions_user_trace ON account.audit_actions (username, trace_code);

    CREATE TABLE account.usage_state (
      username varchar(256) PRIMARY KEY,
      tz       integer            -- the timezone the user's roll-up is built for; NULL: to be rebuilt before use
    );
    CREATE TABLE account.usage_days (
      username      varchar(256) NOT NULL,
      tz            integer NOT NULL,
      day           date NOT NULL,
      service       varchar(32) NOT NULL,
      method_group  varchar(32) NOT NULL,
      company_key   varchar(256) NOT NULL,
      points        bigint NOT NULL,
      unique_points bigint NOT NULL,
      PRIMARY KEY (username, tz, day, service, method_group, company_key)
    );

    -- the roll-up of new actions (transition table "changed") for the users whose roll-up is built
    -- (work_mem: a bulk load of a million actions sorts them in memory instead of on disk; batches need far less)
    CREATE FUNCTION account.usage_days_insert() RETURNS trigger LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET work_mem = '64MB' AS $fn$
    BEGIN
      PERFORM 1 FROM account.usage_state s WHERE s.username IN (SELECT DISTINCT username FROM changed)
        ORDER BY s.username FOR NO KEY UPDATE OF s;
      INSERT INTO account.usage_days AS r (username, tz, day, service, method_group, company_key, points, unique_points)
        SELECT g.username, g.tz, g.day, g.service, g.method_group, g.company_key, sum(g.points),
               sum(CASE WHEN o.max_points IS NULL THEN g.max_points ELSE greatest(g.max_points - o.max_points, 0) END)
          FROM (SELECT c.username, s.tz, ${LOCAL_DAY('c.time', 's.tz')} AS day, c.service, c.method_group, c.company_key,
                       c.trace_code, sum(c.points_count) AS points, max(c.points_count) AS max_points, array_agg(c.id) AS ids
                  FROM changed c JOIN account.usage_state s ON s.username = c.username AND s.tz IS NOT NULL
                 GROUP BY 1, 2, 3, 4, 5, 6, 7) g
          LEFT JOIN account.usage_days e ON e.username = g.username AND e.tz = g.tz AND e.day = g.day
                AND e.service = g.service AND e.method_group = g.method_group AND e.company_key = g.company_key
          LEFT JOIN LATERAL (
            SELECT max(a.points_count) AS max_points FROM account.audit_actions a
             WHERE e.username IS NOT NULL
               AND a.username = g.username AND a.trace_code = g.trace_code AND a.service = g.service
               AND a.method_group = g.method_group AND a.company_key = g.company_key
               AND a.time >= (g.day::timestamp - make_interval(hours => g.tz)) AT TIME ZONE 'UTC'
               AND a.time < ((g.day + 1)::timestamp - make_interval(hours => g.tz)) AT TIME ZONE 'UTC'
               AND a.id <> ALL (g.ids)) o ON true
         GROUP BY 1, 2, 3, 4, 5, 6
         ORDER BY 1, 2, 3, 4, 5, 6
      ON CONFLICT (username, tz, day, service, method_group, company_key)
        DO UPDATE SET points = r.points + EXCLUDED.points, unique_points = r.unique_points + EXCLUDED.unique_points;
      RETURN NULL;
    END
    $fn$;

    -- deleted or updated actions: the users' roll-ups are rebuilt before their next read
    CREATE FUNCTION account.usage_days_invalidate() RETURNS trigger LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        PERFORM 1 FROM account.usage_state s ORDER BY s.username FOR NO KEY UPDATE OF s;
        UPDATE account.usage_state SET tz = NULL;
      ELSE
        PERFORM 1 FROM account.usage_state s WHERE s.username IN (SELECT username FROM changed)
          ORDER BY s.username FOR NO KEY UPDATE OF s;
        UPDATE account.usage_state SET tz = NULL WHERE username IN (SELECT username FROM changed);
        IF TG_OP = 'UPDATE' THEN
          PERFORM 1 FROM account.usage_state s WHERE s.username IN (SELECT username FROM changed_new)
            ORDER BY s.username FOR NO KEY UPDATE OF s;
          UPDATE account.usage_state SET tz = NULL WHERE username IN (SELECT username FROM changed_new);
        END IF;
      END IF;
      RETURN NULL;
    END
    $fn$;

    -- a new account starts with a built, empty roll-up in its timezone (a stale one when actions under its name exist)
    CREATE FUNCTION account.usage_state_new_user() RETURNS trigger LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    BEGIN
      INSERT INTO account.usage_state AS s (username, tz)
        VALUES (NEW.username, CASE WHEN EXISTS (SELECT 1 FROM account.audit_actions a WHERE a.username = NEW.username)
                                   THEN NULL ELSE NEW.timezone END)
        ON CONFLICT (username) DO UPDATE SET tz = NULL;
      RETURN NULL;
    END
    $fn$;

    /*
     * Makes the user's roll-up the one for p_tz: nothing when it already is, else a rebuild from the trail under the
     * state row's lock (see the header). Answers p_tz. Inside a tenant's unit of work only that tenant's users.
     */
    CREATE FUNCTION account.usage_days_build(p_username text, p_tz integer) RETURNS integer LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    DECLARE
      tenant text := nullif(current_setting('app.tenant', true), '');
      current_tz integer;
    BEGIN
      IF p_tz IS NULL OR p_tz NOT BETWEEN -12 AND 14 THEN
        RAISE EXCEPTION 'timezone % out of -12..14', p_tz USING ERRCODE = '22023';
      END IF;
      IF tenant IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM account.users u WHERE u.username = p_username AND u.company_key = tenant) THEN
        RAISE EXCEPTION 'no user % in this tenant', p_username USING ERRCODE = '42501';
      END IF;
      SELECT s.tz INTO current_tz FROM account.usage_state s WHERE s.username = p_username;
      IF current_tz IS NOT DISTINCT FROM p_tz THEN
        RETURN p_tz; -- the common case: built, and kept by the insert trigger; no lock taken
      END IF;
      INSERT INTO account.usage_state (username, tz) VALUES (p_username, NULL) ON CONFLICT (username) DO NOTHING;
      SELECT s.tz INTO current_tz FROM account.usage_state s WHERE s.username = p_username FOR NO KEY UPDATE;
      IF current_tz IS NOT DISTINCT FROM p_tz THEN
        RETURN p_tz; -- built meanwhile by a concurrent reader
      END IF;
      DELETE FROM account.usage_days WHERE username = p_username;
      INSERT INTO account.usage_days (username, tz, day, service, method_group, company_key, points, unique_points)
        SELECT p_username, p_tz, day, service, method_group, company_key, sum(sum_points), sum(max_points)
          FROM (SELECT ${LOCAL_DAY('time', 'p_tz')} AS day, service, method_group, company_key, trace_code,
                       sum(points_count) AS sum_points, max(points_count) AS max_points
                  FROM account.audit_actions WHERE username = p_username
                 GROUP BY 1, 2, 3, 4, 5) per_trace
         GROUP BY day, service, method_group, company_key
         ORDER BY day, service, method_group, company_key;
      UPDATE account.usage_state SET tz = p_tz WHERE username = p_username;
      RETURN p_tz;
    END
    $fn$;

    REVOKE EXECUTE ON FUNCTION account.usage_days_insert() FROM PUBLIC;
    REVOKE EXECUTE ON FUNCTION account.usage_days_invalidate() FROM PUBLIC;
    REVOKE EXECUTE ON FUNCTION account.usage_state_new_user() FROM PUBLIC;
    CREATE TRIGGER usage_days_insert AFTER INSERT ON account.audit_actions
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION account.usage_days_insert();
    CREATE TRIGGER usage_days_delete AFTER DELETE ON account.audit_actions
      REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION account.usage_days_invalidate();
    CREATE TRIGGER usage_days_update AFTER UPDATE ON account.audit_actions
      REFERENCING OLD TABLE AS changed NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION account.usage_days_invalidate();
    CREATE TRIGGER usage_days_truncate AFTER TRUNCATE ON account.audit_actions
      FOR EACH STATEMENT EXECUTE FUNCTION account.usage_days_invalidate();
    CREATE TRIGGER usage_state_new_user AFTER INSERT ON account.users
      FOR EACH ROW EXECUTE FUNCTION account.usage_state_new_user();

    -- existing accounts: built in their current timezone (other names in the trail get built when first read)
    INSERT INTO account.usage_state (username, tz) SELECT username, timezone FROM account.users;
    INSERT INTO account.usage_days (username, tz, day, service, method_group, company_key, points, unique_points)
      SELECT username, tz, day, service, method_group, company_key, sum(sum_points), sum(max_points)
        FROM (SELECT a.username, s.tz, ${LOCAL_DAY('a.time', 's.tz')} AS day, a.service, a.method_group, a.company_key,
                     a.trace_code, sum(a.points_count) AS sum_points, max(a.points_count) AS max_points
                FROM account.audit_actions a JOIN account.usage_state s ON s.username = a.username
               GROUP BY 1, 2, 3, 4, 5, 6, 7) per_trace
       GROUP BY 1, 2, 3, 4, 5, 6;

    -- requests read their company's rows; the functions above (as the owner) write them and read the state
    ${tenantGrantsSql('account', { tables: ['account.usage_days'], privileges: 'SELECT' })}
    ${tenantTableSql('account.usage_days', 'company_key')}
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    DROP TRIGGER IF EXISTS usage_days_insert ON account.audit_actions;
    DROP TRIGGER IF EXISTS usage_days_delete ON account.audit_actions;
    DROP TRIGGER IF EXISTS usage_days_update ON account.audit_actions;
    DROP TRIGGER IF EXISTS usage_days_truncate ON account.audit_actions;
    DROP TRIGGER IF EXISTS usage_state_new_user ON account.users;
    DROP FUNCTION IF EXISTS account.usage_days_insert();
    DROP FUNCTION IF EXISTS account.usage_days_invalidate();
    DROP FUNCTION IF EXISTS account.usage_state_new_user();
    DROP FUNCTION IF EXISTS account.usage_days_build(text, integer);
    ${dropTenantPolicySql('account.usage_days')}
    DROP TABLE IF EXISTS account.usage_days;
    DROP TABLE IF EXISTS account.usage_state;
    DROP INDEX IF EXISTS account.audit_actions_user_trace;
  `);
};
