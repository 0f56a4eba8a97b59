/**
 * The rrule library's expansion of a recurring window (handlers/sm/_recurrence.ts), run in a worker thread: some
 * rules never let the library's loops end (FREQ=HOURLY;INTERVAL=24;BYHOUR=1 from 10:56 never reaches 01:00) or take
 * seconds to find nothing, and the caller terminates the worker at its deadline instead of losing its event loop.
 * Plain JavaScript: the worker loads it with node alone, under tsx, jest or a compiled build alike.
 *
 * Message in:  { rule: string (no RRULE: prefix), dtstart: number, until: number, max: number } (floating wall-clock ms)
 * Message out: { dates: number[] } (at most max, none after until) or { failed: string }
 */
'use strict';
const { parentPort } = require('node:worker_threads');
const { RRule } = require('rrule');

parentPort.once('message', ({ rule, dtstart, until, max }) => {
  try {
    const options = RRule.parseString(rule);
    const end = options.until && options.until.getTime() < until ? options.until : new Date(until);
    const dates = [];
    new RRule({ ...options, dtstart: new Date(dtstart), until: end }).all((d, i) => {
      if (i >= max) return false;
      dates.push(d.getTime());
      return true;
    });
    parentPort.postMessage({ dates });
  } catch (e) {
    parentPort.postMessage({ failed: e instanceof Error ? e.message : String(e) });
  }
});
