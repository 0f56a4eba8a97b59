/**
 * Tenant row-level security for account and b2b (issue 9). A tenant-scoped unit of work runs as `conformant_tenant`
 * with `app.tenant` set (lib/db/unit-of-work.ts); these policies then hide and refuse every other tenant's rows.
 *
 * Tenants: account's is the company (`company_key`; quotas through their user), b2b's is the domain (`uid` of a
 * domain, `domain_uid` of groups and users; memberships through their user, written only between a user and a group
 * of the same domain). Tables without a tenant get no policy, only the grants requests need: the settings (secrets
 * generated on first use, possibly inside a request), the login throttle, and account.audit_counts, which tenants may
 * only read (their company's and their users' totals) while its trigger function writes it as its owner.
 */
import type { Migration } from '../../lib/migrate';
import { CURRENT_TENANT, TENANT_ROLE, dropTenantPolicySql, tenantGrantsSql, tenantPolicySql, tenantRoleSql, tenantTableSql } from '../../lib/db/rls';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    ${tenantRoleSql()}

    ${tenantGrantsSql('account', { tables: ['account.users', 'account.audit_actions', 'account.trace_data', 'account.quotas', 'account.login_throttle'] })}
    ${tenantGrantsSql('account', { tables: ['account.settings'], privileges: 'SELECT, INSERT' })}
    ${tenantGrantsSql('account', { tables: ['account.audit_counts'], privileges: 'SELECT' })}
    ${tenantTableSql('account.users', 'company_key')}
    ${tenantTableSql('account.audit_actions', 'company_key')}
    ${tenantTableSql('account.trace_data', 'company_key')}
    ${tenantPolicySql('account.quotas',
      `EXISTS (SELECT 1 FROM account.users u WHERE u.username = quotas.username AND u.company_key = ${CURRENT_TENANT})`)}
    ${tenantPolicySql('account.audit_counts',
      `scope = 'c:' || ${CURRENT_TENANT} OR (left(scope, 2) = 'u:' AND EXISTS (
         SELECT 1 FROM account.users u WHERE u.username = substr(audit_counts.scope, 3) AND u.company_key = ${CURRENT_TENANT}))`)}
    -- the counters are written by the trigger as the function's owner: tenants only read them
    ALTER FUNCTION account.audit_counts_apply() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
    REVOKE EXECUTE ON FUNCTION account.audit_counts_apply() FROM PUBLIC;

    ${tenantGrantsSql('b2b', { tables: ['b2b.domains', 'b2b.groups', 'b2b.users', 'b2b.user_groups'] })}
    ${tenantGrantsSql('b2b', { tables: ['b2b.settings'], privileges: 'SELECT, INSERT' })}
    ${tenantTableSql('b2b.domains', 'uid')}
    ${tenantTableSql('b2b.groups', 'domain_uid')}
    ${tenantTableSql('b2b.users', 'domain_uid')}
    ${tenantPolicySql('b2b.user_groups',
      `EXISTS (SELECT 1 FROM b2b.users u WHERE u.id = user_groups.user_id AND u.domain_uid = ${CURRENT_TENANT})`,
      `EXISTS (SELECT 1 FROM b2b.users u WHERE u.id = user_groups.user_id AND u.domain_uid = ${CURRENT_TENANT})
       AND EXISTS (SELECT 1 FROM b2b.groups g WHERE g.id = user_groups.group_id AND g.domain_uid = ${CURRENT_TENANT})`)}
  `);
};

export const down: Migration = async ({ context }) => {
  const tables = ['account.users', 'account.audit_actions', 'account.trace_data', 'account.quotas', 'account.audit_counts',
    'b2b.domains', 'b2b.groups', 'b2b.users', 'b2b.user_groups'];
  await context.sequelize.query(`
    ${tables.map(dropTenantPolicySql).join('\n')}
    ALTER FUNCTION account.audit_counts_apply() SECURITY INVOKER RESET search_path;
    GRANT EXECUTE ON FUNCTION account.audit_counts_apply() TO PUBLIC;
    REVOKE ALL ON ALL TABLES IN SCHEMA account FROM ${TENANT_ROLE};
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA account FROM ${TENANT_ROLE};
    REVOKE USAGE ON SCHEMA account FROM ${TENANT_ROLE};
    REVOKE ALL ON ALL TABLES IN SCHEMA b2b FROM ${TENANT_ROLE};
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA b2b FROM ${TENANT_ROLE};
    REVOKE USAGE ON SCHEMA b2b FROM ${TENANT_ROLE};
  `); // the role itself is cluster-wide: other databases of the cluster may still use it
};
