/** Shape of a service's operator commands (handlers/<service>/_admin.ts), run by scripts/admin.ts. */
import type { Sequelize } from 'sequelize';

export class AdminError extends Error {}

export interface AdminCommand {
  flags: string[];
  run(flags: Record<string, string | undefined>, sequelize: Sequelize): Promise<unknown>;
}
export type AdminCommands = Record<string, AdminCommand>;

export function required(flags: Record<string, string | undefined>, ...names: string[]): void {
  const missing = names.filter((n) => flags[n] === undefined || flags[n] === '');
  if (missing.length) throw new AdminError(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
}

export function intFlag(flags: Record<string, string | undefined>, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new AdminError(`--${name} must be an integer, got "${v}"`);
  return Number(v);
}
