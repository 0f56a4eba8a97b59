/**
 * Rights. Sections of the API need a role (the seed's "Система разграничения прав доступа": /domain needs ADMIN,
 * /user needs USER); a user's effective roles are its own, its active groups' and its domain's together.
 *
 * Reports (no endpoints yet) are governed per report type by permissions, while a role grants the same right on every
 * report of the domain. The seed's table, kept as data:
 *   generate a report        permission WRITE_REPORT          role ALL_REPORTS_WRITE
 *   read a report's content  permission READ_REPORT_CONTENT   role ALL_REPORTS_READ
 *   list reports             permission READ_REPORT_LIST      (no role in the table)
 * Decision: the table's last row names no role (it is cut off in the seed), so no role grants listing; only the
 * READ_REPORT_LIST permission does, until the vendor says otherwise.
 */
import type { B2bPrincipal } from './_context';
import { accessDenied } from './_events';

export const SECTION_ROLES = { domain: 'ADMIN', user: 'USER' } as const;

export type ReportPermission = 'WRITE_REPORT' | 'READ_REPORT_CONTENT' | 'READ_REPORT_LIST';
export type ReportOperation = 'generate_report' | 'read_report_content' | 'list_reports';

export const REPORT_OPERATIONS: Readonly<Record<ReportOperation, { permission: ReportPermission; role?: string }>> = {
  generate_report: { permission: 'WRITE_REPORT', role: 'ALL_REPORTS_WRITE' },
  read_report_content: { permission: 'READ_REPORT_CONTENT', role: 'ALL_REPORTS_READ' },
  list_reports: { permission: 'READ_REPORT_LIST' },
};

/** role -> the report permissions it grants on every report type of the domain */
export const ROLE_PERMISSIONS: Readonly<Record<string, readonly ReportPermission[]>> = Object.freeze(
  Object.values(REPORT_OPERATIONS).reduce<Record<string, ReportPermission[]>>((acc, { permission, role }) => {
    if (role) (acc[role] ??= []).push(permission);
    return acc;
  }, {}),
);

/** Report permissions held through roles (domain-wide). */
export function permissionsOfRoles(roles: Iterable<string>): Set<ReportPermission> {
  const out = new Set<ReportPermission>();
  for (const r of roles) for (const p of (Object.hasOwn(ROLE_PERMISSIONS, r) ? ROLE_PERMISSIONS[r] : [])) out.add(p); // a role named 'constructor' is no key of the table
  return out;
}

/** Whether a caller with these roles, and these permissions granted on the report type at hand, may do `op`. */
export function mayPerform(op: ReportOperation, roles: Iterable<string>, typePermissions: Iterable<ReportPermission> = []): boolean {
  const need = REPORT_OPERATIONS[op].permission;
  return permissionsOfRoles(roles).has(need) || [...typePermissions].includes(need);
}

interface Period { activeFrom: Date; activeTo: Date }
const activeAt = (e: Period, now: Date) => e.activeFrom <= now && now <= e.activeTo;

/** The user's own roles, then its groups' (active at `now`), then its domain's, without repeats. */
export function effectiveRoles(
  user: { roles: string[] }, groups: Array<{ roles: string[] } & Period>, domain: { roles: string[] }, now = new Date(),
): string[] {
  const all = [...user.roles, ...groups.filter((g) => activeAt(g, now)).flatMap((g) => g.roles), ...domain.roles];
  return [...new Set(all)];
}

export function requireRole(principal: B2bPrincipal, role: string): void {
  if (!principal.roles.includes(role)) throw accessDenied(role);
}
