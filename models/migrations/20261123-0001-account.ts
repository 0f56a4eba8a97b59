/** account schema: users, settings, login throttle, audit trail, trace data, quotas. */
import type { Migration } from '../../lib/migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE SCHEMA IF NOT EXISTS account;
    CREATE TABLE account.users (
      id            serial PRIMARY KEY,
      username      varchar(256) NOT NULL UNIQUE,
      password_hash text NOT NULL,
      company_key   varchar(256) NOT NULL,
      roles         text[] NOT NULL DEFAULT '{USER}',
      name          varchar(256),
      email         varchar(256),
      phone         varchar(32),
      timezone      integer NOT NULL DEFAULT 0 CHECK (timezone BETWEEN -12 AND 12),
      token_epoch   integer NOT NULL DEFAULT 0,
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX users_company_key ON account.users (company_key);
    CREATE TABLE account.settings (
      key   varchar(64) PRIMARY KEY,
      value text NOT NULL
    );
    CREATE TABLE account.login_throttle (
      username          varchar(1024) PRIMARY KEY,
      failures          integer NOT NULL DEFAULT 0,
      window_started_at timestamptz NOT NULL DEFAULT now(),
      locked_until      timestamptz
    );
    CREATE TABLE account.audit_actions (
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
    CREATE INDEX audit_actions_user_time ON account.audit_actions (username, time, id);
    CREATE INDEX audit_actions_company_time ON account.audit_actions (company_key, time, id);
    CREATE TABLE account.trace_data (
      id           bigserial PRIMARY KEY,
      trace_code   uuid NOT NULL,
      flow_type    varchar(8) NOT NULL CHECK (flow_type IN ('INPUT', 'OUTPUT')),
      stage        integer NOT NULL DEFAULT 0 CHECK (stage BETWEEN 0 AND 3),
      username     varchar(256) NOT NULL,
      company_key  varchar(256) NOT NULL,
      content_type varchar(128) NOT NULL,
      payload      bytea NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      UNIQUE (trace_code, flow_type, stage)
    );
    CREATE TABLE account.quotas (
      id                       serial PRIMARY KEY,
      username                 varchar(256) NOT NULL REFERENCES account.users (username) ON DELETE CASCADE,
      service                  varchar(32) NOT NULL,
      method_group             varchar(32) NOT NULL,
      points_per_request       integer NOT NULL,
      points_per_day           integer NOT NULL,
      points_per_date_window   integer,
      max_concurrent_execution integer,
      UNIQUE (username, service, method_group)
    );
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query('DROP SCHEMA IF EXISTS account CASCADE');
};
