/** Operator commands of the account service: create-user, set-quota, record-usage (see README). */
import fs from 'node:fs';
import { UniqueConstraintError } from 'sequelize';
import { AdminError, intFlag, required, type AdminCommands } from '../../lib/admin';
import { explain, specValidator } from '../../lib/spec-schemas';
import { Quota, User } from '../../models/account';
import { toInfoWire } from './_mappers';
import { hashPassword } from './_password';
import { passwordProblem } from './_password-policy';
import { parseUsage, recordUsage } from './_usage';

function check(schema: string | object, value: unknown, what: string) {
  const v = specValidator('account');
  const validate = typeof schema === 'string' ? v.schema(schema) : v.compile(schema);
  if (!validate(value)) throw new AdminError(`invalid ${what}: ${explain(validate.errors)}`);
}

export const commands: AdminCommands = {
  'create-user': {
    flags: ['username', 'password', 'company-key', 'roles', 'name', 'email', 'phone', 'timezone'],
    async run(f) {
      required(f, 'username', 'password', 'company-key');
      const info = {
        username: f.username!, company_key: f['company-key']!, name: f.name ?? null, email: f.email ?? null,
        phone: f.phone ?? null, timezone: intFlag(f, 'timezone') ?? 0,
      };
      check('account_info', info, 'account');
      const problem = passwordProblem(f.password!, info.username);
      if (problem) throw new AdminError(`invalid password: it ${problem}`);
      const roles = (f.roles ?? 'USER').split(',').map((r) => r.trim().toUpperCase()).filter(Boolean);
      check('user_roles', roles, 'roles');
      try {
        const user = await User.create({
          username: info.username, companyKey: info.company_key, passwordHash: await hashPassword(f.password!),
          roles, name: info.name, email: info.email, phone: info.phone, timezone: info.timezone,
        });
        return { ...toInfoWire(user), roles: user.roles };
      } catch (e) {
        if (e instanceof UniqueConstraintError) throw new AdminError(`user ${info.username} already exists`);
        throw e;
      }
    },
  },
  'set-quota': {
    flags: ['username', 'service', 'method-group', 'points-per-request', 'points-per-day', 'points-per-date-window', 'max-concurrent-execution'],
    async run(f) {
      required(f, 'username', 'service', 'method-group', 'points-per-request', 'points-per-day');
      const quota = {
        method_group: f['method-group']!, points_per_request: intFlag(f, 'points-per-request')!, points_per_day: intFlag(f, 'points-per-day')!,
        points_per_date_window: intFlag(f, 'points-per-date-window') ?? null, max_concurrent_execution: intFlag(f, 'max-concurrent-execution') ?? null,
      };
      check('service_name', f.service, 'service');
      check('method_quota', quota, 'quota');
      const user = await User.findOne({ where: { username: f.username } });
      if (!user) throw new AdminError(`no user ${f.username}`);
      await Quota.upsert({
        username: user.username, service: f.service!, methodGroup: quota.method_group, pointsPerRequest: quota.points_per_request,
        pointsPerDay: quota.points_per_day, pointsPerDateWindow: quota.points_per_date_window, maxConcurrentExecution: quota.max_concurrent_execution,
      }, { conflictFields: ['username', 'service', 'method_group'] as never });
      return { username: user.username, service: f.service, ...quota };
    },
  },
  'record-usage': {
    flags: ['file'],
    async run(f) {
      required(f, 'file');
      let text: string;
      try {
        text = fs.readFileSync(f.file!, 'utf8');
      } catch (e) {
        throw new AdminError(`cannot read ${f.file}: ${(e as Error).message}`);
      }
      // a big file says how far it got, on stderr (stdout is the command's JSON answer)
      const progress = { report: (phase: string, done: number, total: number) => process.stderr.write(`record-usage: ${phase} ${done} of ${total} lines\n`) };
      return recordUsage(parseUsage(text, progress), progress);
    },
  },
};
