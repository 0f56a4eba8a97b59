/** The product's success envelope, and the switch of the dev operations. */
import { ApiError } from '../../lib/errors';
import { b2bConfig } from './_config';
import { isoNow } from './_events';

export function ok<T>(data: T[]): { state: 'ok'; size: number; stamp: string; data: T[] } {
  return { state: 'ok', size: data.length, stamp: isoNow(), data };
}

/** With B2B_DEV_ENDPOINTS=false a dev operation answers exactly what an unknown path does. */
export function requireDevEndpoints(method: string, path: string): void {
  if (!b2bConfig.devEndpoints) throw new ApiError('routeNotFound', `No route ${method} ${path}`);
}
