/**
 * account.audit_outbox: a call's audit action is written here inside the request's own transaction (so it commits
 * with the call's work, or before its error answer), and moved into account.audit_actions in batches by a background
 * job (handlers/account/_audit.ts). No triggers and no counters here: concurrent requests never wait on each other.
 */
import type { Migration } from '../../lib/migrate';
import { dropTenantPolicySql, tenantGrantsSql, tenantTableSql } from '../../lib/db/rls';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE TABLE account.audit_outbox (
      id            bigserial PRIMARY KEY,
      username      varchar(256) NOT NULL,
      company_key   varchar(256) NOT NULL,
      trace_code    uuid NOT NULL,
      client        varchar(256) NOT NULL,
      server        varchar(256) NOT NULL,
      service       varchar(32) NOT NULL,
      operation     varchar(256) NOT NULL,
      time          timestamptz NOT NULL,
      tz_offset_minutes integer NOT NULL DEFAULT 0,
      method_group  varchar(32) NOT NULL,
      points_count  integer NOT NULL DEFAULT 0,
      duration      varchar(16) NOT NULL DEFAULT 'PT0S',
      duration_ms   double precision NOT NULL DEFAULT 0
    );
    ${tenantGrantsSql('account', { tables: ['account.audit_outbox'], privileges: 'INSERT' })}
    ${tenantTableSql('account.audit_outbox', 'company_key')}
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query(`
    ${dropTenantPolicySql('account.audit_outbox')}
    DROP TABLE IF EXISTS account.audit_outbox;
  `);
};
