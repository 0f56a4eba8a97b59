/**
 * Operator commands of the sm service: import-cis, create-user (prints its personal token once), new-token,
 * revoke-token, grant, revoke-grant, history. Run unscoped (the operators act for every workspace).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AdminError, intFlag, required, type AdminCommands } from '../../lib/admin';
import { savepoint } from '../../lib/db/unit-of-work';
import { smDb } from '../../models/sm';
import { refreshUserRights } from './_graph';
import { ImportError, importCis, parseCsv, parseJson } from './_import';
import { exec, select } from './_sql';
import { newToken, tokenHash } from './_tokens';

const NAME = /^[A-Za-z0-9_.@-]{1,128}$/;

function name(f: Record<string, string | undefined>, flag: string): string {
  const v = f[flag]!;
  if (!NAME.test(v)) throw new AdminError(`--${flag} must be 1..128 of A-Z a-z 0-9 _ . @ -, got "${v}"`);
  return v;
}

async function userOf(workspace: string, login: string): Promise<number> {
  const rows = await select<{ id: string }>('SELECT id FROM sm.users WHERE workspace = $1 AND login = $2', [workspace, login]);
  if (!rows.length) throw new AdminError(`no user ${login} in workspace ${workspace}`);
  return Number(rows[0].id);
}

async function issue(workspace: string, userId: number): Promise<string> {
  const token = newToken();
  await exec('INSERT INTO sm.tokens (workspace, user_id, token_hash) VALUES ($1, $2, $3)', [workspace, userId, tokenHash(token)]);
  return token;
}

const boolFlag = (f: Record<string, string | undefined>, flag: string) => {
  const v = f[flag];
  if (v === undefined) return false;
  if (!/^(true|false)$/i.test(v)) throw new AdminError(`--${flag} must be true or false`);
  return v.toLowerCase() === 'true';
};

export const commands: AdminCommands = {
  'import-cis': {
    flags: ['workspace', 'file', 'format'],
    async run(f) {
      required(f, 'workspace', 'file');
      const workspace = name(f, 'workspace');
      const format = (f.format ?? path.extname(f.file!).slice(1)).toLowerCase();
      if (!['json', 'csv'].includes(format)) throw new AdminError('--format must be json or csv (or the file end in .json / .csv)');
      let text: string;
      try {
        text = fs.readFileSync(f.file!, 'utf8');
      } catch (e) {
        throw new AdminError(`cannot read ${f.file}: ${(e as Error).message}`);
      }
      try {
        const records = format === 'json' ? parseJson(text) : parseCsv(text);
        return { workspace, ...(await importCis(workspace, records)) };
      } catch (e) {
        if (e instanceof ImportError) throw new AdminError(`nothing imported: ${e.message}`);
        throw e;
      }
    },
  },

  'create-user': {
    flags: ['workspace', 'login', 'name'],
    async run(f) {
      required(f, 'workspace', 'login');
      const workspace = name(f, 'workspace');
      const login = name(f, 'login');
      return savepoint(smDb(), async () => {
        if ((await select('SELECT 1 FROM sm.users WHERE workspace = $1 AND login = $2', [workspace, login])).length) {
          throw new AdminError(`user ${login} already exists in workspace ${workspace}`);
        }
        const [u] = await select<{ id: string }>('INSERT INTO sm.users (workspace, login, name) VALUES ($1, $2, $3) RETURNING id',
          [workspace, login, f.name ?? login]);
        const token = await issue(workspace, Number(u.id));
        return { workspace, login, name: f.name ?? login, token, note: 'the token is shown only now; it is stored as a hash' };
      });
    },
  },

  'new-token': {
    flags: ['workspace', 'login'],
    async run(f) {
      required(f, 'workspace', 'login');
      const userId = await userOf(f.workspace!, f.login!);
      return { workspace: f.workspace, login: f.login, token: await issue(f.workspace!, userId) };
    },
  },

  'revoke-token': {
    flags: ['workspace', 'login', 'token'],
    async run(f) {
      required(f, 'workspace', 'login');
      const userId = await userOf(f.workspace!, f.login!);
      const rows = await select<{ id: string }>(
        `UPDATE sm.tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL ${f.token ? 'AND token_hash = $2' : ''} RETURNING id`,
        f.token ? [userId, tokenHash(f.token)] : [userId]);
      if (f.token && !rows.length) throw new AdminError('no such active token of this user');
      return { workspace: f.workspace, login: f.login, revoked: rows.length };
    },
  },

  grant: {
    flags: ['workspace', 'login', 'ci', 'right', 'descendants'],
    async run(f) {
      required(f, 'workspace', 'login', 'ci', 'right');
      if (!['view', 'maintain'].includes(f.right!)) throw new AdminError('--right must be view or maintain');
      const ci = intFlag(f, 'ci')!;
      const descendants = boolFlag(f, 'descendants');
      return savepoint(smDb(), async () => {
        const userId = await userOf(f.workspace!, f.login!);
        if (!(await select('SELECT 1 FROM sm.cis WHERE workspace = $1 AND id = $2', [f.workspace, ci])).length) {
          throw new AdminError(`no CI ${ci} in workspace ${f.workspace}`);
        }
        await exec(`INSERT INTO sm.grants (workspace, user_id, ci_id, "right", with_descendants) VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (user_id, ci_id, "right") DO UPDATE SET with_descendants = excluded.with_descendants`,
        [f.workspace, userId, ci, f.right, descendants]);
        await refreshUserRights(userId);
        const [n] = await select<{ view: string; maintain: string }>(
          'SELECT count(*) AS view, count(*) FILTER (WHERE can_maintain) AS maintain FROM sm.user_rights WHERE user_id = $1', [userId]);
        return { workspace: f.workspace, login: f.login, ci, right: f.right, descendants, visibleCis: Number(n.view), maintainableCis: Number(n.maintain) };
      });
    },
  },

  'revoke-grant': {
    flags: ['workspace', 'login', 'ci', 'right'],
    async run(f) {
      required(f, 'workspace', 'login', 'ci');
      const ci = intFlag(f, 'ci')!;
      return savepoint(smDb(), async () => {
        const userId = await userOf(f.workspace!, f.login!);
        const rows = await select('DELETE FROM sm.grants WHERE user_id = $1 AND ci_id = $2 AND ($3::text IS NULL OR "right" = $3) RETURNING 1',
          [userId, ci, f.right ?? null]);
        await refreshUserRights(userId);
        return { workspace: f.workspace, login: f.login, ci, removed: rows.length };
      });
    },
  },

  history: {
    flags: ['workspace', 'id'],
    async run(f) {
      required(f, 'workspace', 'id');
      const id = intFlag(f, 'id')!;
      const rows = await select<{ at: Date; actor: string; action: string; changes: unknown }>(
        'SELECT at, actor, action, changes FROM sm.mode_events WHERE workspace = $1 AND mode_id = $2 ORDER BY id', [f.workspace, id]);
      if (!rows.length) throw new AdminError(`no mode ${id} in workspace ${f.workspace}`);
      return rows.map((r) => ({ at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, ...(r.changes ? { changes: r.changes } : {}) }));
    },
  },
};
