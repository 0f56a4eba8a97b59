/**
 * account.users tells every server process when a user changes: at commit, each updated or deleted row NOTIFYs the
 * channel `account_users` with its username (the old one, and the new one when it changed), and each process's
 * principal cache drops that user (handlers/account/_principals.ts). Inserts need nothing: no process caches a user
 * it has not read. NOTIFY needs no privilege and folds duplicates within a transaction.
 */
import type { Migration } from '../../lib/migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE OR REPLACE FUNCTION account.users_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      PERFORM pg_notify('account_users', OLD.username);
      IF TG_OP = 'UPDATE' AND NEW.username IS DISTINCT FROM OLD.username THEN
        PERFORM pg_notify('account_users', NEW.username);
      END IF;
      RETURN NULL;
    END
    $fn$;
    DROP TRIGGER IF EXISTS users_notify ON account.users;
    CREATE TRIGGER users_notify AFTER UPDATE OR DELETE ON account.users
      FOR EACH ROW EXECUTE FUNCTION account.users_notify();
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    DROP TRIGGER IF EXISTS users_notify ON account.users;
    DROP FUNCTION IF EXISTS account.users_notify();
  `);
};
