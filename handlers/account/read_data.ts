/**
 * GET /account/data/{tracecode} (spec/account.yaml · read_data) — a stored payload of the caller's (or, for an ADMIN,
 * the company's) process; ORIGIN answers it as stored, JSON and XLSX convert between the two off the event loop
 * within the limits of _convert.ts.
 */
import { Op } from 'sequelize';
import { ApiError, notFound } from '../../lib/errors';
import { TraceData } from '../../models/account';
import { handler } from './_context';
import { convertPayload, isJsonType, isXlsxType } from './_convert';

const OCTET = 'application/octet-stream';

export default handler('read_data', async ({ path, query }, { principal: user }) => {
  const scope = user.roles.includes('ADMIN') ? { companyKey: user.companyKey } : { username: user.username };
  const row = await TraceData.findOne({
    where: { traceCode: path.tracecode, flowType: query.data_flow_type ?? 'INPUT', stage: query.data_flow_stage ?? 0, ...scope },
  });
  if (!row) throw notFound('data of process', path.tracecode);
  const filename = `${path.tracecode}_${row.flowType.toLowerCase()}_${row.stage}`;
  const attach = (ext: string) => ({ 'Content-Disposition': `attachment; filename="${filename}.${ext}"` });
  const convert = query.data_flow_convert ?? 'ORIGIN';

  if (convert === 'ORIGIN') {
    const json = isJsonType(row.contentType);
    return {
      status: 200,
      headers: attach(json ? 'json' : isXlsxType(row.contentType) ? 'xlsx' : 'bin'),
      body: { raw: row.payload, contentType: json ? 'application/json' : OCTET },
    };
  }
  if (convert === 'JSON') {
    if (isJsonType(row.contentType)) return { status: 200, headers: attach('json'), body: { raw: row.payload, contentType: 'application/json' } };
    if (isXlsxType(row.contentType)) {
      // a payload labelled XLSX that is no workbook (or too big a one) cannot be converted: the documented 400
      const json = await convertPayload('toJson', row.payload, row.contentType);
      return { status: 200, headers: attach('json'), body: { raw: json, contentType: 'application/json' } };
    }
  } else {
    if (isXlsxType(row.contentType)) return { status: 200, headers: attach('xlsx'), body: { raw: row.payload, contentType: OCTET } };
    if (isJsonType(row.contentType)) {
      return { status: 200, headers: attach('xlsx'), body: { raw: await convertPayload('toXlsx', row.payload, row.contentType), contentType: OCTET } };
    }
  }
  throw new ApiError('validation', `data stored as ${row.contentType} cannot be converted to ${convert}`);
});
