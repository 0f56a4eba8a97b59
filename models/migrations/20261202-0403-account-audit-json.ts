/**
 * account.audit_actions.action_json: each action's JSON text on the wire (handlers/account/_mappers.ts actionJson),
 * stored with the row, so that the audit stream (read_audit.ts, a million rows and more) sends it as it is instead of
 * having PostgreSQL write it for every row of every stream (about 4 µs a row, against about 1 to read a stored text).
 *
 * - A BEFORE INSERT OR UPDATE row trigger sets it from the row's own columns in the statement that writes the row, on
 *   every update too (whatever the statement set it to), so the text and the row cannot disagree. NULL where
 *   PostgreSQL cannot write the text Node writes: a local time outside the years 0001..9999 (five days from either
 *   end, where toISOString writes other year forms) or an offset of 100 hours or more; the stream writes those in Node.
 * - No backfill: the column is added without default (no table rewrite), and an UPDATE of every row would rewrite the
 *   table and, through usage_days_update, invalidate every usage roll-up. Rows written before this migration keep NULL
 *   and the stream writes their text as it did before (_mappers.ts streamActionsSql).
 * - The expression is written here, not imported, so that a later change of the code cannot change what this
 *   migration did; test/account/read_audit.stream-format.test.ts proves the stored text equals actionJson. A change of
 *   the wire text needs a new migration that replaces the function and sets the column to NULL where it is stale.
 * - Escaping: to_json(text) escapes exactly what JSON.stringify does for the characters text can hold (\b \f \n \r \t
 *   \" \\, other characters below U+0020 as \u00xx); a row whose strings need none of it is written with plain
 *   quotes. Whether they do is asked of to_json itself on their concatenation (one call instead of eight, cheaper
 *   than a regular expression).
 * - Cost: about 5 µs a row inserted (plpgsql), and ~340 bytes a row more of heap (docs/performance.md, stop 18).
 * Not SECURITY DEFINER and reading no table: it runs with the writer's rights, so no search_path is pinned (a SET
 * clause would cost a configuration save and restore per row).
 */
import type { Migration } from '../../lib/migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    ALTER TABLE account.audit_actions ADD COLUMN action_json text;

    CREATE FUNCTION account.audit_action_json() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      t text;  -- the local time with its offset, as isoWithOffset writes it
      s text;  -- the row's strings, to learn whether any needs escapes
    BEGIN
      IF NOT (NEW.time >= TIMESTAMPTZ '0001-01-06 00:00:00+00' AND NEW.time < TIMESTAMPTZ '9999-12-26 00:00:00+00'
              AND NEW.tz_offset_minutes BETWEEN -5999 AND 5999) THEN
        NEW.action_json := NULL;
        RETURN NEW;
      END IF;
      -- to the millisecond, microseconds truncated (as the driver reads a timestamptz); .000 left out
      t := to_char((NEW.time AT TIME ZONE 'UTC') + NEW.tz_offset_minutes * INTERVAL '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS');
      t := CASE WHEN right(t, 4) = '.000' THEN left(t, 19) ELSE t END
        || CASE WHEN NEW.tz_offset_minutes = 0 THEN 'Z'
                ELSE CASE WHEN NEW.tz_offset_minutes < 0 THEN '-' ELSE '+' END
                     || lpad((abs(NEW.tz_offset_minutes) / 60)::text, 2, '0') || ':'
                     || lpad((abs(NEW.tz_offset_minutes) % 60)::text, 2, '0') END;
      s := NEW.username || NEW.company_key || NEW.client || NEW.server || NEW.service || NEW.operation
        || NEW.method_group || NEW.duration;
      IF to_json(s)::text = '"' || s || '"' THEN
        NEW.action_json := '{"username":"' || NEW.username || '","company_key":"' || NEW.company_key
          || '","tracedata":{"code":"' || NEW.trace_code::text || '","client":"' || NEW.client
          || '","server":"' || NEW.server || '","service":"' || NEW.service || '","operation":"' || NEW.operation
          || '","time":"' || t || '"},"method_group":"' || NEW.method_group
          || '","statistics":{"points_count":' || NEW.points_count::text || ',"duration":"' || NEW.duration || '"}}';
      ELSE
        NEW.action_json := '{"username":' || to_json(NEW.username)::text || ',"company_key":' || to_json(NEW.company_key)::text
          || ',"tracedata":{"code":"' || NEW.trace_code::text || '","client":' || to_json(NEW.client)::text
          || ',"server":' || to_json(NEW.server)::text || ',"service":' || to_json(NEW.service)::text
          || ',"operation":' || to_json(NEW.operation)::text
          || ',"time":"' || t || '"},"method_group":' || to_json(NEW.method_group)::text
          || ',"statistics":{"points_count":' || NEW.points_count::text || ',"duration":' || to_json(NEW.duration)::text || '}}';
      END IF;
      RETURN NEW;
    END
    $fn$;

    -- BEFORE triggers fire in name order: one added later that changes the row must sort before this one
    CREATE TRIGGER audit_actions_json BEFORE INSERT OR UPDATE ON account.audit_actions
      FOR EACH ROW EXECUTE FUNCTION account.audit_action_json();
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    DROP TRIGGER IF EXISTS audit_actions_json ON account.audit_actions;
    DROP FUNCTION IF EXISTS account.audit_action_json();
    ALTER TABLE account.audit_actions DROP COLUMN IF EXISTS action_json;
  `);
};
