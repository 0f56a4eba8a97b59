/**
 * Tenant row-level security, as SQL for migrations. A tenant-scoped unit of work (lib/db/unit-of-work.ts) runs as the
 * role TENANT_ROLE with the setting TENANT_SETTING holding its tenant; every tenant table has a policy comparing its
 * tenant column (or a predicate through its parent) with that setting. The migrating role, which owns the tables and
 * does the unscoped work (logins across tenants, admin commands, background jobs), keeps an explicit unscoped policy:
 * RLS is FORCEd, so an owner without it would see nothing, and a superuser bypasses RLS anyway.
 */

/** Cluster-wide, NOLOGIN; only reached through `set_config('role', ...)` inside a unit of work. */
export const TENANT_ROLE = 'conformant_tenant';
/** The custom setting that carries a unit of work's tenant (transaction-local). */
export const TENANT_SETTING = 'app.tenant';
/** The tenant as the policies read it: NULL when no tenant is set, so no row matches. */
export const CURRENT_TENANT = `current_setting('${TENANT_SETTING}', true)`;

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** `schema.table` or `table` -> quoted identifiers; anything but plain lower-case names is refused. */
export function qualifiedName(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENT.test(p))) throw new Error(`not a plain (schema.)table name: ${name}`);
  return parts.map((p) => `"${p}"`).join('.');
}

function identifier(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return `"${name}"`;
}

/** Creates TENANT_ROLE when missing and lets the migrating role switch to it when that role is not a superuser. */
export function tenantRoleSql(): string {
  return `
    DO $rls$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${TENANT_ROLE}') THEN
        BEGIN
          CREATE ROLE ${TENANT_ROLE} NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL; -- another database of the cluster created it at the same moment
        END;
      END IF;
      IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
         AND NOT pg_has_role(current_user, '${TENANT_ROLE}', 'MEMBER') THEN
        EXECUTE format('GRANT ${TENANT_ROLE} TO %I', current_user);
      END IF;
    END
    $rls$;`;
}

/**
 * What tenant-scoped requests may do in a service's schema: use it, read and write the given tables (default: all of
 * its tables), use its sequences. Call it again with narrower privileges for tables the requests only read.
 */
export function tenantGrantsSql(schema: string, opts: { tables?: string[]; privileges?: string } = {}): string {
  const s = identifier(schema);
  const privileges = opts.privileges ?? 'SELECT, INSERT, UPDATE, DELETE';
  if (!/^[A-Z, ]+$/.test(privileges)) throw new Error(`not a privilege list: ${privileges}`);
  const on = opts.tables ? `TABLE ${opts.tables.map(qualifiedName).join(', ')}` : `ALL TABLES IN SCHEMA ${s}`;
  return `
    GRANT USAGE ON SCHEMA ${s} TO ${TENANT_ROLE};
    GRANT ${privileges} ON ${on} TO ${TENANT_ROLE};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${TENANT_ROLE};`;
}

/**
 * RLS on a table whose rows belong to a tenant through `predicate` (an SQL boolean over the row; compare with
 * CURRENT_TENANT). `check` is what written rows must satisfy (default: the same predicate). Re-runnable.
 */
export function tenantPolicySql(table: string, predicate: string, check: string = predicate): string {
  const t = qualifiedName(table);
  return `
    ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS tenant_isolation ON ${t};
    CREATE POLICY tenant_isolation ON ${t} USING (${predicate}) WITH CHECK (${check});
    DROP POLICY IF EXISTS unscoped_owner ON ${t};
    CREATE POLICY unscoped_owner ON ${t} TO CURRENT_USER USING (true) WITH CHECK (true);`;
}

/** RLS on a table with its own tenant column: a tenant sees and writes only rows whose `column` is its tenant. */
export function tenantTableSql(table: string, column: string): string {
  return tenantPolicySql(table, `${identifier(column)} = ${CURRENT_TENANT}`);
}

/** Undoes tenantPolicySql / tenantTableSql (for a migration's down). */
export function dropTenantPolicySql(table: string): string {
  const t = qualifiedName(table);
  return `
    DROP POLICY IF EXISTS tenant_isolation ON ${t};
    DROP POLICY IF EXISTS unscoped_owner ON ${t};
    ALTER TABLE ${t} NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE ${t} DISABLE ROW LEVEL SECURITY;`;
}
