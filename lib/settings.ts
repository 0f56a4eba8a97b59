/**
 * A service's settings, declared in one place: each is an environment variable with a kind, a default and a rule.
 * Values are read on every use (so an operator's change, or a test's, needs no restart of the module), and the
 * kernel checks every declared setting of every mounted service at start-up, so a bad value stops the server with
 * all problems named instead of failing at the first request that needs it. Secrets are never echoed in messages.
 */

interface Base { env: string; doc: string }
export type SettingSpec =
  | (Base & { kind: 'int'; default: number; min?: number; max?: number })
  | (Base & { kind: 'bool'; default: boolean })
  | (Base & { kind: 'string'; default?: string; pattern?: RegExp })
  /** a secret: optional; `parse` turns it into its value or throws a message (which must not contain the secret) */
  | (Base & { kind: 'secret'; parse?: (raw: string) => unknown });

type ValueOf<S extends SettingSpec> =
  S extends { kind: 'int' } ? number
    : S extends { kind: 'bool' } ? boolean
      : S extends { kind: 'string'; default: string } ? string
        : S extends { kind: 'string' } ? string | undefined
          : string | undefined;

export type SettingValues<D extends Record<string, SettingSpec>> = { readonly [K in keyof D]: ValueOf<D[K]> };

export interface Settings<D extends Record<string, SettingSpec>> {
  /** current values, read from the environment at each access */
  readonly values: SettingValues<D>;
  /** every declared setting with its problem, if any (empty: all good) */
  check(): string[];
  /** the declarations, for documentation */
  readonly declared: D;
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

function read(spec: SettingSpec): unknown {
  const raw = process.env[spec.env];
  const unset = raw === undefined || raw.trim() === '';
  switch (spec.kind) {
    case 'int': {
      if (unset) return spec.default;
      const n = Number(raw!.trim());
      if (!Number.isInteger(n)) throw new Error(`${spec.env} must be an integer, got "${raw}"`);
      if (spec.min !== undefined && n < spec.min) throw new Error(`${spec.env} must be at least ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new Error(`${spec.env} must be at most ${spec.max}, got ${n}`);
      return n;
    }
    case 'bool': {
      if (unset) return spec.default;
      const v = raw!.trim().toLowerCase();
      if (TRUE.includes(v)) return true;
      if (FALSE.includes(v)) return false;
      throw new Error(`${spec.env} must be one of ${[...TRUE, ...FALSE].join(', ')}, got "${raw}"`);
    }
    case 'string': {
      if (unset) return spec.default;
      if (spec.pattern && !spec.pattern.test(raw!)) throw new Error(`${spec.env} must match ${spec.pattern}, got "${raw}"`);
      return raw;
    }
    case 'secret': {
      if (unset) return undefined;
      if (spec.parse) {
        try {
          spec.parse(raw!);
        } catch (e) {
          throw new Error(`${spec.env}: ${(e as Error).message}`);
        }
      }
      return raw;
    }
  }
}

export function defineSettings<D extends Record<string, SettingSpec>>(declared: D): Settings<D> {
  const values = {} as SettingValues<D>;
  for (const [name, spec] of Object.entries(declared)) {
    Object.defineProperty(values, name, { enumerable: true, get: () => read(spec) });
  }
  return {
    values,
    declared,
    check: () => Object.values(declared).flatMap((spec) => {
      try {
        read(spec);
        return [];
      } catch (e) {
        return [(e as Error).message];
      }
    }),
  };
}

/** Start-up: every problem of every service's settings, or nothing. */
export function checkSettings(services: Array<{ name: string; settings?: { check(): string[] } }>): void {
  const problems = services.flatMap((s) => (s.settings?.check() ?? []).map((p) => `${s.name}: ${p}`));
  if (problems.length) throw new Error(`configuration refused:\n  ${problems.join('\n  ')}`);
}
