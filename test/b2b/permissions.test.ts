/** The role -> permission mapping of handlers/b2b/_permissions.ts (the seed's report-permission table), and role union. */
import {
  effectiveRoles, mayPerform, permissionsOfRoles, REPORT_OPERATIONS, requireRole, ROLE_PERMISSIONS, SECTION_ROLES,
} from '../../handlers/b2b/_permissions';
import type { B2bPrincipal } from '../../handlers/b2b/_context';
import { ApiError } from '../../lib/errors';

const always = { activeFrom: new Date('1900-01-01T00:00:00Z'), activeTo: new Date('3000-01-01T00:00:00Z') };

describe('report permissions', () => {
  it('keeps the seed\'s table: operation -> permission and the role granting it domain-wide', () => {
    expect(REPORT_OPERATIONS).toEqual({
      generate_report: { permission: 'WRITE_REPORT', role: 'ALL_REPORTS_WRITE' },
      read_report_content: { permission: 'READ_REPORT_CONTENT', role: 'ALL_REPORTS_READ' },
      list_reports: { permission: 'READ_REPORT_LIST' },
    });
    expect(ROLE_PERMISSIONS).toEqual({ ALL_REPORTS_WRITE: ['WRITE_REPORT'], ALL_REPORTS_READ: ['READ_REPORT_CONTENT'] });
    expect(Object.isFrozen(ROLE_PERMISSIONS)).toBe(true);
  });

  it('maps roles to permissions, ignoring roles that grant none', () => {
    expect([...permissionsOfRoles(['ADMIN', 'ALL_REPORTS_READ', 'ALL_REPORTS_WRITE'])].sort()).toEqual(['READ_REPORT_CONTENT', 'WRITE_REPORT']);
    expect([...permissionsOfRoles(['USER', 'ADMIN', 'DOMAIN_ADMIN'])]).toEqual([]);
  });

  it('grants an operation by role or by a permission on the report type, and nothing else', () => {
    expect(mayPerform('generate_report', ['ALL_REPORTS_WRITE'])).toBe(true);
    expect(mayPerform('generate_report', ['USER'], ['WRITE_REPORT'])).toBe(true);
    expect(mayPerform('generate_report', ['ALL_REPORTS_READ', 'ADMIN'], ['READ_REPORT_CONTENT'])).toBe(false);
    expect(mayPerform('read_report_content', ['ALL_REPORTS_READ'])).toBe(true);
    expect(mayPerform('read_report_content', ['ALL_REPORTS_WRITE'])).toBe(false);
    expect(mayPerform('read_report_content', [], ['READ_REPORT_CONTENT'])).toBe(true);
    expect(mayPerform('list_reports', [], ['READ_REPORT_LIST'])).toBe(true);
    expect(mayPerform('list_reports', ['ALL_REPORTS_READ', 'ALL_REPORTS_WRITE', 'ADMIN'])).toBe(false);
  });
});

describe('roles', () => {
  it('names the section roles: /domain needs ADMIN, /user needs USER', () => {
    expect(SECTION_ROLES).toEqual({ domain: 'ADMIN', user: 'USER' });
  });

  it('unites the user\'s, its active groups\' and its domain\'s roles, once each', () => {
    const now = new Date('2025-06-01T00:00:00Z');
    const groups = [
      { roles: ['USER', 'OPERATOR'], ...always },
      { roles: ['EXPIRED_ROLE'], activeFrom: new Date('2020-01-01T00:00:00Z'), activeTo: new Date('2021-01-01T00:00:00Z') },
      { roles: ['FUTURE_ROLE'], activeFrom: new Date('2030-01-01T00:00:00Z'), activeTo: new Date('2031-01-01T00:00:00Z') },
    ];
    expect(effectiveRoles({ roles: ['ADMIN', 'USER'] }, groups, { roles: ['CLIENT', 'USER'] }, now)).toEqual(['ADMIN', 'USER', 'OPERATOR', 'CLIENT']);
    expect(effectiveRoles({ roles: [] }, [], { roles: [] }, now)).toEqual([]);
  });

  it('requireRole throws 403 SecurityAccessDenied naming the role', () => {
    const principal = { roles: ['USER'] } as unknown as B2bPrincipal;
    expect(() => requireRole(principal, 'USER')).not.toThrow();
    let thrown: unknown;
    try {
      requireRole(principal, 'ADMIN');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({ status: 403, extra: { code: 'SecurityAccessDenied', data: { required_role: 'ADMIN' } } });
  });
});
