/** GET /account/statistics (spec/account.yaml · generate_statistics) — usage per local day, service and method group. */
import { handler } from './_context';
import { dayPeriod } from './_period';
import { usageRows } from './_statistics';

type Dates = { date: string; services: { service: string; methods: { method_group: string; unique_points_per_day: number; points_per_day: number }[] }[] }[];

export default handler('generate_statistics', async ({ query }, { principal: user }) => {
  const period = dayPeriod(query, user.timezone);
  const dates: Dates = [];
  if (!period.empty) {
    for (const r of await usageRows(user, period.start, period.end)) {
      let day = dates[dates.length - 1];
      if (day?.date !== r.date) dates.push((day = { date: r.date, services: [] }));
      let svc = day.services[day.services.length - 1];
      if (svc?.service !== r.service) day.services.push((svc = { service: r.service, methods: [] }));
      svc.methods.push({ method_group: r.method_group, unique_points_per_day: r.unique_points, points_per_day: r.points });
    }
  }
  return { status: 200, body: { username: user.username, dates: dates as never } };
});
