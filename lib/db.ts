/**
 * One Sequelize instance per process: DATABASE_URL when given, the embedded cluster otherwise. With `migrate`, the
 * connecting role (the owner) applies the migrations and provisions the least-privilege role APP_ROLE, then the pool
 * connects as that role instead (or as APP_DATABASE_URL's).
 */
import crypto from 'node:crypto';
import { Client } from 'pg';
import { QueryTypes, Sequelize, type Options } from 'sequelize';
import { config } from './config';
import { startEmbedded, type EmbeddedHandle } from './embedded-pg';
import { secretKey } from './keys';
import { logger } from './logger';
import { migrate } from './migrate';

export interface Database {
  sequelize: Sequelize;
  url: string;
  close(): Promise<void>;
}

/** What a process does when its embedded cluster is gone for good (already logged as fatal): end, non-zero. */
function exitOnLost(): void {
  process.exit(1);
}

export async function openDatabase(opts: {
  url?: string;
  dataDir?: string;
  /**
   * The embedded cluster has gone and could not be started again within EMBEDDED_RESTART_TIMEOUT_MS (a fatal line
   * naming the data directory and the cause is logged first). Default: the process exits with status 1, so that it
   * never answers errors for good; a caller that can stop more gracefully passes its own, and must still end.
   */
  onLost?: (err: Error) => void;
  /**
   * Apply the migrations as the connecting role (the owner; closed after), then pool as the least-privilege role
   * APP_ROLE (created and granted by the owner, password in the key store), or as APP_DATABASE_URL's role.
   */
  migrate?: boolean;
  /** the embedded cluster, already being started by the caller (npm start boots it while loading the program) */
  embedded?: Promise<EmbeddedHandle>;
} = {}): Promise<Database> {
  let url = opts.url ?? config.databaseUrl;
  let embedded: EmbeddedHandle | undefined;
  if (!url) {
    embedded = await (opts.embedded ?? startEmbedded(opts.dataDir ?? config.dataDir, { onLost: opts.onLost ?? exitOnLost }));
    url = embedded.url;
  }
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: config.dbPoolMax, min: 0, idle: 10_000, acquire: config.dbAcquireTimeoutMs },
    define: { underscored: true },
    // every wait on the database is bounded: connecting, each statement, a transaction left idle by a process that
    // went away; a server that stops answering altogether is bounded by the request deadline (lib/http/handle.ts)
    dialectOptions: {
      connectionTimeoutMillis: config.dbAcquireTimeoutMs,
      statement_timeout: config.dbStatementTimeoutMs,
      idle_in_transaction_session_timeout: config.requestDeadlineMs + 5_000,
    },
  });
  await sequelize.authenticate();
  logger.debug({ embedded: !!embedded }, 'database connected');
  const pool = opts.migrate ? await migrateThenAppPool(sequelize, url).catch(async (e) => {
    await sequelize.close().catch(() => undefined);
    await embedded?.release().catch(() => undefined);
    throw e;
  }) : sequelize;
  return {
    sequelize: pool,
    url,
    async close() {
      await pool.close();
      await embedded?.release();
    },
  };
}

/** Whether an error means the database is out of reach or timed out (answered 503), not a fault of the request. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string; original?: { code?: string }; parent?: { code?: string }; code?: string } | undefined;
  if (!e) return false;
  if (/^Sequelize(Connection\w*|HostNotReachable|HostNotFound|InvalidConnection|AccessDenied)?Error$/.test(e.name ?? '') && /Connection|Host/.test(e.name ?? '')) return true;
  const code = e.original?.code ?? e.parent?.code ?? e.code;
  // query_canceled (statement_timeout), admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  if (code && ['57014', '57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(e.message ?? '');
}

/** The role requests run as: no superuser, owns nothing, may not create anything; DML on the services' tables. */
export const APP_ROLE = 'conformant_app';

/**
 * Migrations as the owner, then a pool of the application role. Without APP_DATABASE_URL the owner creates APP_ROLE
 * (LOGIN, its password a key of lib/keys.ts) and an owner that cannot (no CREATEROLE) leaves the pool on the owner,
 * with a warning; with APP_DATABASE_URL that role must exist, and any failure to grant it stops the start.
 */
async function migrateThenAppPool(owner: Sequelize, ownerUrl: string): Promise<Sequelize> {
  await migrate(owner);
  const explicit = process.env.APP_DATABASE_URL || undefined;
  const role = explicit ? decodeURIComponent(new URL(explicit).username) : APP_ROLE;
  let appUrl: string;
  try {
    await grantAppRole(owner, role, !explicit);
    appUrl = explicit ?? await appRoleUrl(owner, ownerUrl);
  } catch (e) {
    if (explicit) throw e;
    logger.warn({ err: e, role }, `could not provision the database role ${role}: requests run as the migrating role, ` +
      'which owns every table; give it CREATEROLE, or create the role and set APP_DATABASE_URL');
    return owner;
  }
  const app = new Sequelize(appUrl, (owner as unknown as { options: Options }).options);
  try {
    await app.authenticate();
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
  await owner.close();
  logger.debug({ role }, 'database pool connects as the application role');
  return app;
}

/**
 * Idempotent, at every start after the migrations (so tables, schemas and tenant tables added later are covered):
 * the role (NOLOGIN until it gets its password; NOINHERIT), membership of the tenant role (lib/db/rls.ts), USAGE on
 * every schema the tenant role may use plus `kernel`, DML on their tables, their sequences, and an unscoped policy
 * beside each `unscoped_owner` one so its unscoped work (logins, jobs, admin commands) still sees every tenant.
 */
async function grantAppRole(owner: Sequelize, role: string, create: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await owner.transaction(async (transaction) => {
        await owner.query("SELECT pg_advisory_xact_lock(72091432), set_config('conformant.app_role', :role, true), " +
          "set_config('conformant.app_create', :create, true)", { replacements: { role, create: String(create) }, transaction });
        await owner.query(GRANT_APP_ROLE_SQL, { transaction });
      });
      return;
    } catch (e) {
      // roles are cluster-wide and advisory locks per database: two databases of one cluster may collide
      const code = (e as { original?: { code?: string } }).original?.code;
      if (attempt >= 3 || !['XX000', '23505', '42710', '40001', '40P01'].includes(code ?? '')) throw e;
    }
  }
}

const GRANT_APP_ROLE_SQL = `
DO $app$
DECLARE
  app name := current_setting('conformant.app_role');
  r record;
BEGIN
  IF app = current_user THEN
    RAISE EXCEPTION 'the application role % must not be the migrating role, which owns the tables', app;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
    IF NOT current_setting('conformant.app_create')::boolean THEN
      RAISE EXCEPTION 'the role % of APP_DATABASE_URL does not exist', app;
    END IF;
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', app);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database of the cluster created it at the same moment
    END;
  END IF;
  IF (SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = app) THEN
    RAISE EXCEPTION 'the application role % may not be a superuser, bypass row-level security, create roles or databases', app;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'conformant_tenant')
     AND NOT pg_has_role(app, 'conformant_tenant', 'MEMBER') THEN
    EXECUTE format('GRANT conformant_tenant TO %I', app);
  END IF;
  FOR r IN SELECT n.nspname FROM pg_namespace n
           WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
             AND (n.nspname = 'kernel' OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'conformant_tenant')
                                           AND has_schema_privilege('conformant_tenant', n.oid, 'USAGE')))
  LOOP
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', r.nspname, app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', r.nspname, app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', r.nspname, app);
  END LOOP;
  FOR r IN SELECT p.schemaname, p.tablename FROM pg_policies p
           WHERE p.policyname = 'unscoped_owner'
             AND NOT EXISTS (SELECT 1 FROM pg_policies q WHERE q.schemaname = p.schemaname AND q.tablename = p.tablename
                                                          AND q.policyname = 'unscoped_app' AND q.roles = ARRAY[app])
  LOOP
    EXECUTE format('DROP POLICY IF EXISTS unscoped_app ON %I.%I', r.schemaname, r.tablename);
    EXECUTE format('CREATE POLICY unscoped_app ON %I.%I TO %I USING (true) WITH CHECK (true)', r.schemaname, r.tablename, app);
  END LOOP;
END
$app$;`;

/**
 * The owner's URL with APP_ROLE and its password (the key `database.app_password`). The password is set (LOGIN) when
 * it does not let the role in: a new role, or one another key store made; it is sent as a SCRAM verifier, so the
 * server and its statement log never see it in clear.
 */
async function appRoleUrl(owner: Sequelize, ownerUrl: string): Promise<string> {
  const password = await secretKey('database.app_password', { generate: () => crypto.randomBytes(24).toString('base64url') });
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = encodeURIComponent(password);
  const probe = new Client({ connectionString: url.toString(), connectionTimeoutMillis: config.dbAcquireTimeoutMs });
  try {
    await probe.connect();
    return url.toString();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== '28P01' && code !== '28000') throw e; // wrong password, or not allowed to log in (yet)
  } finally {
    await probe.end().catch(() => undefined);
  }
  const [{ canLogin }] = await owner.query<{ canLogin: boolean }>('SELECT rolcanlogin AS "canLogin" FROM pg_roles WHERE rolname = :role',
    { replacements: { role: APP_ROLE }, type: QueryTypes.SELECT });
  if (canLogin) logger.warn({ role: APP_ROLE }, `the password of ${APP_ROLE} did not match this key store's: replaced (another key store on this cluster now needs this one's key, or APP_DATABASE_URL)`);
  await owner.query(`ALTER ROLE ${APP_ROLE} LOGIN PASSWORD '${scramVerifier(password)}'`);
  return url.toString();
}

/** PostgreSQL's SCRAM-SHA-256 verifier of a password (RFC 5802/7677; an ASCII password needs no SASLprep). */
function scramVerifier(password: string): string {
  const salt = crypto.randomBytes(16);
  const iterations = 4096;
  const salted = crypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => crypto.createHmac('sha256', key).update(text).digest();
  const storedKey = crypto.createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
