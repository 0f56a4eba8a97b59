/** GET /account/quota (spec/account.yaml · read_quota) — the caller's quotas grouped by service; none set is a 404. */
import { notFound } from '../../lib/errors';
import { Quota } from '../../models/account';
import { handler } from './_context';

export default handler('read_quota', async (_input, { principal: user }) => {
  const rows = await Quota.findAll({ where: { username: user.username }, order: [['service', 'ASC'], ['methodGroup', 'ASC']] });
  if (!rows.length) throw notFound('quota of user', user.username);
  const services: { service: string; methods: object[] }[] = [];
  for (const q of rows) {
    let svc = services[services.length - 1];
    if (svc?.service !== q.service) services.push((svc = { service: q.service, methods: [] }));
    svc.methods.push({
      method_group: q.methodGroup,
      points_per_request: q.pointsPerRequest,
      points_per_day: q.pointsPerDay,
      points_per_date_window: q.pointsPerDateWindow,
      max_concurrent_execution: q.maxConcurrentExecution,
    });
  }
  return { status: 200, body: { base: { services: services as never } } };
});
