/** The audit stream's hand-written row serialiser says exactly what JSON.stringify of the wire object says. */
import { actionJson, toActionWire, type AuditRow } from '../../handlers/account/_mappers';

const base: AuditRow = {
  username: 'alice', company_key: 'acme', trace_code: '11111111-2222-3333-4444-555555555555', client: 'acme_|_alice',
  server: 'worker_1', service: 'UNIVERSAL', operation: 'run_plan_calculation', time: new Date('2024-02-21T06:30:00.123Z'),
  tz_offset_minutes: 180, method_group: 'PLAN', points_count: 15, duration: 'PT1.5S',
};

it.each<[string, Partial<AuditRow>]>([
  ['a plain row', {}],
  ['quotes, backslashes, control characters and non-ASCII in strings', { username: 'a"b\\c\n\u0001', company_key: 'ÄÖü 日本 😀', operation: '</script>' }],
  ['a negative offset and whole seconds', { tz_offset_minutes: -270, time: new Date('1999-12-31T23:59:59Z') }],
  ['UTC, zero points, a long duration', { tz_offset_minutes: 0, points_count: 0, duration: 'PT2H12M34.3S' }],
  ['a large points count', { points_count: 2_147_483_647 }],
])('%s', (_name, over) => {
  const row = { ...base, ...over };
  expect(actionJson(row)).toBe(JSON.stringify(toActionWire(row)));
  expect(JSON.parse(actionJson(row))).toEqual(toActionWire(row));
});
