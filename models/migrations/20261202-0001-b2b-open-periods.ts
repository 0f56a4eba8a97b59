/**
 * b2b: an active period may be empty (active_from not before active_to simply means never active), and a user may
 * have no pass_hash yet (created without one, it waits in ACTIVATION_REQUIRED until one is set).
 */
import type { Migration } from '../../lib/migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    DO $$
    DECLARE c record;
    BEGIN
      FOR c IN SELECT con.conname, rel.relname FROM pg_constraint con
                 JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_namespace ns ON ns.oid = rel.relnamespace
                WHERE ns.nspname = 'b2b' AND rel.relname IN ('domains', 'groups', 'users') AND con.contype = 'c'
                  AND pg_get_constraintdef(con.oid) = 'CHECK ((active_from < active_to))'
      LOOP
        EXECUTE format('ALTER TABLE b2b.%I DROP CONSTRAINT %I', c.relname, c.conname);
      END LOOP;
    END $$;
    ALTER TABLE b2b.users ALTER COLUMN pass_hash_enc DROP NOT NULL;
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    UPDATE b2b.users SET state = 'ACTIVATION_REQUIRED', pass_hash_enc = '' WHERE pass_hash_enc IS NULL;
    ALTER TABLE b2b.users ALTER COLUMN pass_hash_enc SET NOT NULL;
    UPDATE b2b.domains SET active_to = active_from + interval '1 millisecond' WHERE active_from >= active_to;
    UPDATE b2b.groups SET active_to = active_from + interval '1 millisecond' WHERE active_from >= active_to;
    UPDATE b2b.users SET active_to = active_from + interval '1 millisecond' WHERE active_from >= active_to;
    ALTER TABLE b2b.domains ADD CHECK (active_from < active_to);
    ALTER TABLE b2b.groups ADD CHECK (active_from < active_to);
    ALTER TABLE b2b.users ADD CHECK (active_from < active_to);
  `);
};
