/** GET /account/statistics (spec/account.yaml · generate_statistics) — usage per local day, service and method group. */
import { badRequest } from '../../lib/errors';
import { handler } from './_context';
import { dayPeriod } from './_period';
import { usageRows } from './_statistics';

type Dates = { date: string; services: { service: string; methods: { method_group: string; unique_points_per_day: number; points_per_day: number }[] }[] }[];

/** statistics.dates holds at most this many days (the vendor's bound); only days with usage are listed */
const MAX_DATES = 3653;

export default handler('generate_statistics', async ({ query }, { principal: user }) => {
  const period = dayPeriod(query, user.timezone);
  const dates: Dates = [];
  if (!period.empty) {
    for (const r of await usageRows(user, period.from, period.to)) {
      let day = dates[dates.length - 1];
      if (day?.date !== r.date) {
        if (dates.length === MAX_DATES) {
          throw badRequest(`the period holds usage on more than ${MAX_DATES} days, more than one answer lists; ask for a shorter period`,
            [{ location: 'query', field: 'to', message: `period with usage on more than ${MAX_DATES} days` }]);
        }
        dates.push((day = { date: r.date, services: [] }));
      }
      let svc = day.services[day.services.length - 1];
      if (svc?.service !== r.service) day.services.push((svc = { service: r.service, methods: [] }));
      svc.methods.push({ method_group: r.method_group, unique_points_per_day: r.unique_points, points_per_day: r.points });
    }
  }
  return { status: 200, body: { username: user.username, dates: dates as never } };
});
