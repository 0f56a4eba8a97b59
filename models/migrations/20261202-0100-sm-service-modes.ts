/**
 * The sm service (service modes): workspaces' users with personal tokens, a CI registry with a parent/child graph (a
 * DAG: a CI may have several parents), rights per CI (granted, and materialised per user with descendants expanded),
 * modes with their CI entries, each mode's effective CI set (materialised with its window, so "is CI X in maintenance
 * at T" is one index range), and each mode's history. Instants are kept as epoch milliseconds with the offset they
 * were given in, so they are answered exactly as sent. The tenant is the workspace: every table carries it, under RLS.
 */
import type { Migration } from '../../lib/migrate';
import { TENANT_ROLE, dropTenantPolicySql, tenantGrantsSql, tenantTableSql } from '../../lib/db/rls';

const TABLES = ['sm.users', 'sm.tokens', 'sm.cis', 'sm.ci_edges', 'sm.grants', 'sm.user_rights', 'sm.modes', 'sm.mode_items',
  'sm.mode_cis', 'sm.mode_events'];

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE SCHEMA IF NOT EXISTS sm;
    CREATE TABLE sm.users (
      id          bigserial PRIMARY KEY,
      workspace   text NOT NULL,
      login       text NOT NULL,
      name        text NOT NULL DEFAULT '',
      created_at  timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace, login)
    );
    CREATE TABLE sm.tokens (
      id          bigserial PRIMARY KEY,
      workspace   text NOT NULL,
      user_id     bigint NOT NULL REFERENCES sm.users (id) ON DELETE CASCADE,
      token_hash  bytea NOT NULL UNIQUE,
      created_at  timestamptz NOT NULL DEFAULT now(),
      revoked_at  timestamptz
    );
    CREATE INDEX tokens_user ON sm.tokens (user_id);
    CREATE TABLE sm.cis (
      workspace   text NOT NULL,
      id          bigint NOT NULL CHECK (id > 0),
      name        text NOT NULL DEFAULT '',
      type        text NOT NULL DEFAULT '',
      labels      jsonb NOT NULL DEFAULT '{}',
      updated_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace, id)
    );
    CREATE TABLE sm.ci_edges (
      workspace   text NOT NULL,
      parent_id   bigint NOT NULL,
      child_id    bigint NOT NULL,
      PRIMARY KEY (workspace, parent_id, child_id),
      FOREIGN KEY (workspace, parent_id) REFERENCES sm.cis (workspace, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace, child_id) REFERENCES sm.cis (workspace, id) ON DELETE CASCADE,
      CHECK (parent_id <> child_id)
    );
    CREATE INDEX ci_edges_child ON sm.ci_edges (workspace, child_id);
    CREATE TABLE sm.grants (
      workspace        text NOT NULL,
      user_id          bigint NOT NULL REFERENCES sm.users (id) ON DELETE CASCADE,
      ci_id            bigint NOT NULL,
      "right"          text NOT NULL CHECK ("right" IN ('view', 'maintain')),
      with_descendants boolean NOT NULL DEFAULT false,
      PRIMARY KEY (user_id, ci_id, "right")
    );
    -- one row per CI a user may view; can_maintain when it may also put it into maintenance
    CREATE TABLE sm.user_rights (
      workspace    text NOT NULL,
      user_id      bigint NOT NULL REFERENCES sm.users (id) ON DELETE CASCADE,
      ci_id        bigint NOT NULL,
      can_maintain boolean NOT NULL,
      PRIMARY KEY (user_id, ci_id)
    );
    CREATE TABLE sm.modes (
      id            bigserial PRIMARY KEY,
      workspace     text NOT NULL,
      title         text,
      start_ms      bigint NOT NULL,
      start_offset  integer NOT NULL,
      end_ms        bigint NOT NULL,
      end_offset    integer NOT NULL,
      labels        jsonb NOT NULL DEFAULT '{}',
      cancelled_ms  bigint,
      ended_early   boolean NOT NULL DEFAULT false,
      created_by    text NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_by    text NOT NULL,
      updated_at    timestamptz NOT NULL DEFAULT now(),
      CHECK (end_ms > start_ms)
    );
    CREATE INDEX modes_start ON sm.modes (workspace, start_ms);
    CREATE INDEX modes_end ON sm.modes (workspace, end_ms);
    CREATE TABLE sm.mode_items (
      mode_id     bigint NOT NULL REFERENCES sm.modes (id) ON DELETE CASCADE,
      position    integer NOT NULL,
      workspace   text NOT NULL,
      ci_id       bigint NOT NULL,
      scope       text NOT NULL CHECK (scope IN ('Ci', 'CiAndChildren')),
      depth       integer NOT NULL CHECK (depth >= 0),
      PRIMARY KEY (mode_id, position)
    );
    -- the effective CI set of each mode, with the mode's window (empty once cancelled)
    CREATE TABLE sm.mode_cis (
      mode_id      bigint NOT NULL REFERENCES sm.modes (id) ON DELETE CASCADE,
      ci_id        bigint NOT NULL,
      workspace    text NOT NULL,
      window_start bigint NOT NULL,
      window_end   bigint NOT NULL,
      PRIMARY KEY (mode_id, ci_id)
    );
    CREATE INDEX mode_cis_ci ON sm.mode_cis (workspace, ci_id, window_start) INCLUDE (window_end);
    CREATE TABLE sm.mode_events (
      id          bigserial PRIMARY KEY,
      workspace   text NOT NULL,
      mode_id     bigint NOT NULL REFERENCES sm.modes (id) ON DELETE CASCADE,
      at          timestamptz NOT NULL DEFAULT clock_timestamp(),
      actor       text NOT NULL,
      action      text NOT NULL,
      changes     jsonb
    );
    CREATE INDEX mode_events_mode ON sm.mode_events (mode_id, id);

    ${tenantGrantsSql('sm')}
    ${TABLES.map((t) => tenantTableSql(t, 'workspace')).join('\n')}
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    ${TABLES.map(dropTenantPolicySql).join('\n')}
    REVOKE ALL ON ALL TABLES IN SCHEMA sm FROM ${TENANT_ROLE};
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA sm FROM ${TENANT_ROLE};
    REVOKE USAGE ON SCHEMA sm FROM ${TENANT_ROLE};
    DROP SCHEMA sm CASCADE;
  `);
};
