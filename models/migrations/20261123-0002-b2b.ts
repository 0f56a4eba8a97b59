/** b2b schema: settings (the generated encryption key), domains, groups, users (pass_hash encrypted), memberships. */
import type { Migration } from '../../lib/migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE SCHEMA IF NOT EXISTS b2b;
    CREATE TABLE b2b.settings (
      key   varchar(64) PRIMARY KEY,
      value text NOT NULL
    );
    CREATE TABLE b2b.domains (
      id          serial PRIMARY KEY,
      uid         varchar(64) NOT NULL UNIQUE,
      name        varchar(256) NOT NULL DEFAULT '',
      comment     text NOT NULL DEFAULT '',
      state       varchar(16) NOT NULL DEFAULT 'ACTIVE' CHECK (state IN ('DRAFT', 'ACTIVE', 'BANNED')),
      roles       text[] NOT NULL DEFAULT '{}',
      tags        text[] NOT NULL DEFAULT '{}',
      created_at  timestamptz(3) NOT NULL DEFAULT now(),
      created_by  varchar(129) NOT NULL DEFAULT 'system',
      updated_at  timestamptz(3) NOT NULL DEFAULT now(),
      updated_by  varchar(129) NOT NULL DEFAULT 'system',
      active_from timestamptz(3) NOT NULL DEFAULT '1900-01-01T00:00:00Z',
      active_to   timestamptz(3) NOT NULL DEFAULT '3000-01-01T00:00:00Z',
      CHECK (active_from < active_to)
    );
    CREATE TABLE b2b.groups (
      id          serial PRIMARY KEY,
      uid         varchar(129) NOT NULL UNIQUE,
      domain_uid  varchar(64) NOT NULL REFERENCES b2b.domains (uid) ON DELETE CASCADE,
      name        varchar(256) NOT NULL DEFAULT '',
      comment     text NOT NULL DEFAULT '',
      roles       text[] NOT NULL DEFAULT '{}',
      tags        text[] NOT NULL DEFAULT '{}',
      created_at  timestamptz(3) NOT NULL DEFAULT now(),
      created_by  varchar(129) NOT NULL DEFAULT 'system',
      updated_at  timestamptz(3) NOT NULL DEFAULT now(),
      updated_by  varchar(129) NOT NULL DEFAULT 'system',
      active_from timestamptz(3) NOT NULL DEFAULT '1900-01-01T00:00:00Z',
      active_to   timestamptz(3) NOT NULL DEFAULT '3000-01-01T00:00:00Z',
      CHECK (active_from < active_to),
      CHECK (right(uid, length(domain_uid) + 1) = '@' || domain_uid)
    );
    CREATE INDEX groups_domain ON b2b.groups (domain_uid);
    CREATE TABLE b2b.users (
      id            serial PRIMARY KEY,
      uid           varchar(129) NOT NULL UNIQUE,
      domain_uid    varchar(64) NOT NULL REFERENCES b2b.domains (uid) ON DELETE CASCADE,
      login         varchar(129) NOT NULL,
      name          varchar(256) NOT NULL DEFAULT '',
      comment       text NOT NULL DEFAULT '',
      email         varchar(256) NOT NULL DEFAULT '',
      contacts      varchar(1024) NOT NULL DEFAULT '',
      state         varchar(24) NOT NULL DEFAULT 'ACTIVE' CHECK (state IN ('ACTIVATION_REQUIRED', 'ACTIVE', 'BANNED')),
      roles         text[] NOT NULL DEFAULT '{}',
      tags          text[] NOT NULL DEFAULT '{}',
      data          jsonb NOT NULL DEFAULT '{}',
      pass_hash_enc text NOT NULL,
      created_at    timestamptz(3) NOT NULL DEFAULT now(),
      created_by    varchar(129) NOT NULL DEFAULT 'system',
      updated_at    timestamptz(3) NOT NULL DEFAULT now(),
      updated_by    varchar(129) NOT NULL DEFAULT 'system',
      active_from   timestamptz(3) NOT NULL DEFAULT '1900-01-01T00:00:00Z',
      active_to     timestamptz(3) NOT NULL DEFAULT '3000-01-01T00:00:00Z',
      CHECK (active_from < active_to),
      CHECK (right(uid, length(domain_uid) + 1) = '@' || domain_uid)
    );
    CREATE INDEX users_domain ON b2b.users (domain_uid);
    CREATE TABLE b2b.user_groups (
      user_id  integer NOT NULL REFERENCES b2b.users (id) ON DELETE CASCADE,
      group_id integer NOT NULL REFERENCES b2b.groups (id) ON DELETE CASCADE,
      PRIMARY KEY (user_id, group_id)
    );
    CREATE INDEX user_groups_group ON b2b.user_groups (group_id);
  `);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query('DROP SCHEMA IF EXISTS b2b CASCADE');
};
