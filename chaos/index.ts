/** The fault scenarios of issue 10, one file each, numbered as its findings. */
import type { Scenario } from './context';
import s01 from './01-cluster-restart';
import s02 from './02-frozen-database';
import s03 from './03-oversized-body';
import s04 from './04-login-throttle';
import s05 from './05-nul';
import s06 from './06-graceful-shutdown';
import s07 from './07-huge-json';
import s08 from './08-audit-kill';
import s09 from './09-slow-clients';
import s10 from './10-npm-start-sigterm';

export const scenarios: Scenario[] = [s01, s02, s03, s04, s05, s06, s07, s08, s09, s10];
