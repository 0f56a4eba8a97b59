/** GET /account/quota (spec/account.yaml · read_quota) — the caller's quotas grouped by service: its own, or the default plan. */
import { handler } from './_context';
import { effectiveQuotas } from './_quota';

export default handler('read_quota', async (_input, { principal: user }) => {
  const quotas = (await effectiveQuotas([user.username])).get(user.username)!;
  const services: { service: string; methods: object[] }[] = [];
  for (const q of quotas) {
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
