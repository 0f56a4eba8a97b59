/** The fault scenarios of issue 10, one file each, in the order of its findings. */
import type { Scenario } from './context';
import s03 from './03-oversized-body';
import s05 from './05-nul';
import s07 from './07-huge-json';

export const scenarios: Scenario[] = [s03, s05, s07].sort((a, b) => a.id - b.id);
