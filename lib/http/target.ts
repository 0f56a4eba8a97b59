/**
 * The request target split into its path (as sent: not percent-decoded, so that a `%2F` inside a path parameter stays
 * inside it) and its query parameters (node:querystring: `+` is a space, a repeated name gives an array, a malformed
 * escape is kept as sent). An absolute-form target (`GET http://host/path`, which proxies send) is reduced to its path
 * and query.
 */
import { parse } from 'node:querystring';

export interface Target {
  path: string;
  query: Record<string, string | string[]>;
}

export function splitTarget(url: string | undefined): Target {
  let target = url || '/';
  if (!target.startsWith('/')) {
    try {
      const u = new URL(target);
      target = `${u.pathname}${u.search}`;
    } catch {
      // an asterisk-form or otherwise odd target: no service has such a path, so it is answered 404 as it stands
    }
  }
  const q = target.indexOf('?');
  if (q < 0) return { path: target, query: Object.create(null) as Record<string, string> };
  // an object without a prototype: a parameter named `constructor` or `__proto__` is only a parameter
  return { path: target.slice(0, q), query: parse(target.slice(q + 1)) as Record<string, string | string[]> };
}
