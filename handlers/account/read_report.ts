/** GET /account/report (spec/account.yaml · read_report) — the statistics as an XLSX workbook, streamed as it is written. */
import { PassThrough } from 'node:stream';
import { handler } from './_context';
import { dayPeriod } from './_period';
import { usageRows } from './_statistics';

/**
 * exceljs is loaded by the first report, not at start-up: requiring it takes about 0.3 s, as long as the rest of a
 * start. (Loading it in the background a moment after listening was tried and dropped: the require holds the event
 * loop for that long, so a signal or requests arriving then wait behind it.)
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const excel = () => require('exceljs') as typeof import('exceljs');

export default handler('read_report', async ({ query }, { principal: user, log }) => {
  const period = dayPeriod(query, user.timezone);
  const rows = period.empty ? [] : await usageRows(user, period.from, period.to);
  const out = new PassThrough();
  const wb = new (excel().stream.xlsx.WorkbookWriter)({ stream: out, useStyles: true });
  wb.creator = 'VRt.Account';
  const sheet = wb.addWorksheet('statistics');
  sheet.columns = [
    { header: 'date', key: 'date', width: 12 },
    { header: 'service', key: 'service', width: 16 },
    { header: 'method_group', key: 'method_group', width: 14 },
    { header: 'unique_points_per_day', key: 'unique_points', width: 22 },
    { header: 'points_per_day', key: 'points', width: 16 },
  ];
  sheet.getRow(1).font = { bold: true };
  // One style object per column shared by its data cells (none of them is styled): exceljs renders a cell's style to
  // find its id unless it saw that very object before, which was most of the report's time. Same workbook bytes.
  const unstyled = sheet.columns.map(() => ({}));
  (async () => {
    for (const r of rows) {
      const row = sheet.addRow([r.date, r.service, r.method_group, r.unique_points, r.points]);
      for (let c = 0; c < unstyled.length; c++) row.getCell(c + 1).style = unstyled[c];
      row.commit();
    }
    sheet.commit();
    await wb.commit();
  })().catch((err) => {
    log.error({ err }, 'report writing failed');
    out.destroy(err);
  });
  const filename = `report_${user.username}_${period.from}_${period.to}.xlsx`;
  return {
    status: 200,
    headers: { 'Content-Disposition': `attachment; filename="${filename}"` },
    body: { raw: out, contentType: 'application/octet-stream' },
  };
});
