/**
 * account.auth_throttle: failed-attempt counters keyed by (kind, subject), replacing the per-username
 * account.login_throttle (issue 11, item 7). Kinds: `login-user` (a username, failures from every address),
 * `login-source` (a client address for one username) and `password-user` (wrong current passwords of a password
 * change, kept apart from logins). The old table's counters are carried over as `login-user`; the old table stays
 * (unused) so processes of the previous version keep working during a rolling update; a later migration drops it.
 */
import type { Migration } from '../../lib/migrate';
import { tenantGrantsSql } from '../../lib/db/rls';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE TABLE account.auth_throttle (
      kind              varchar(16) NOT NULL CHECK (kind IN ('login-user', 'login-source', 'password-user')),
      subject           varchar(1100) NOT NULL,
      failures          integer NOT NULL DEFAULT 0,
      window_started_at timestamptz NOT NULL DEFAULT now(),
      locked_until      timestamptz,
      PRIMARY KEY (kind, subject)
    );
    CREATE INDEX auth_throttle_window ON account.auth_throttle (window_started_at);
    INSERT INTO account.auth_throttle (kind, subject, failures, window_started_at, locked_until)
      SELECT 'login-user', username, failures, window_started_at, locked_until FROM account.login_throttle;
    -- a password change runs in its tenant's unit of work and clears its counter there (no tenant column: no policy)
    ${tenantGrantsSql('account', { tables: ['account.auth_throttle'] })}
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query('DROP TABLE IF EXISTS account.auth_throttle');
};
