/**
 * The checks, modelled on Schemathesis's: each judges one exchange and answers pass or fail with a reason.
 * Conformance checks apply to every answer of a documented operation; the others to the kind of case sent.
 */
import type { Case } from './cases';
import { parseJson, type HttpResponse } from './http';
import { explainErrors, validate } from './schema';
import { isJsonMedia, mediaMatches, responseFor, type Operation, type Schema } from './spec';

export const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'response_headers_conformance',
  'security_headers',
  'positive_data_acceptance',
  'negative_data_rejection',
  'ignored_auth',
  'unsupported_method',
  'ensure_resource_availability',
  'use_after_free',
  'scenario_step',
  'prism_validation',
] as const;
export type CheckName = (typeof CHECKS)[number];

export const CHECK_HELP: Record<CheckName, string> = {
  not_a_server_error: 'no 5xx and no transport failure',
  status_code_conformance: 'the status is documented for the operation',
  content_type_conformance: "the Content-Type is one of the status's documented media types",
  response_schema_conformance: 'a JSON body validates against the documented schema',
  response_headers_conformance: 'required documented headers are present; present documented headers match their schema',
  security_headers: 'every answer of an operation carries X-Content-Type-Options: nosniff and Cache-Control: no-store (API answers hold credentials and tenant data)',
  positive_data_acceptance: 'valid input answers 2xx (or a status the plugin declares legitimate for the operation; a far date also a 400 naming its field)',
  negative_data_rejection: 'input that breaks the spec (or holds U+0000) answers 4xx (415 for a wrong Content-Type, 406 for an Accept naming nothing produced, when documented)',
  ignored_auth: 'a protected operation refuses missing or bad credentials with 401 or 403',
  unsupported_method: 'an undocumented method on a documented path answers 405 with an Allow header listing the documented ones',
  ensure_resource_availability: 'scenario: what was created or changed can be read back',
  use_after_free: 'scenario: what was deleted or revoked is gone (e.g. an old token is refused)',
  scenario_step: 'scenario: a step answers its expected status and body',
  prism_validation: 'Prism (proxy --errors) reports no violation for the exchange',
};

export interface CheckOutcome {
  check: CheckName;
  ok: boolean;
  message?: string;
}

export interface CheckOptions {
  strictHeaders: boolean;
  /** judge security_headers (default true) */
  securityHeaders?: boolean;
}

export function excerpt(body: Buffer, max = 300): string {
  const s = body.toString('utf8');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function headerValue(schema: Schema | undefined, raw: string): unknown {
  const t = schema?.type;
  if ((t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(raw.trim())) return Number(raw.trim());
  if (t === 'boolean' && /^(true|false)$/.test(raw.trim())) return raw.trim() === 'true';
  return raw;
}

/** Conformance of an answer to the documentation of `op` (the four conformance checks). */
export function conformanceChecks(op: Operation, res: HttpResponse, opts: CheckOptions, warnings: string[], method: string = op.method): CheckOutcome[] {
  const out: CheckOutcome[] = opts.securityHeaders === false ? [] : [securityHeadersCheck(res)];
  const doc = responseFor(op, res.status);
  if (!doc) {
    out.push({ check: 'status_code_conformance', ok: false, message: `status ${res.status} is not documented (documented: ${Object.keys(op.responses).join(', ')})` });
    return out;
  }
  out.push({ check: 'status_code_conformance', ok: true });
  const declared = Object.keys(doc.response.content ?? {});
  const ct = res.headers['content-type'];
  if (declared.length) {
    if (!ct) {
      out.push({ check: 'content_type_conformance', ok: false, message: `no Content-Type; documented: ${declared.join(', ')}` });
    } else if (!declared.some((d) => mediaMatches(d, ct))) {
      out.push({ check: 'content_type_conformance', ok: false, message: `Content-Type ${ct} is not documented for ${doc.key} (documented: ${declared.join(', ')})` });
    } else {
      out.push({ check: 'content_type_conformance', ok: true });
      const media = declared.find((d) => mediaMatches(d, ct))!;
      const schema = doc.response.content![media].schema;
      if (isJsonMedia(media) && schema && method.toLowerCase() !== 'head') {
        const parsed = parseJson(res.body);
        if (!parsed.ok) {
          out.push({ check: 'response_schema_conformance', ok: false, message: `body is not JSON (${parsed.error}): ${excerpt(res.body, 120)}` });
        } else {
          const errs = validate(schema, parsed.value);
          out.push(errs.length
            ? { check: 'response_schema_conformance', ok: false, message: `body breaks the ${doc.key} schema: ${explainErrors(errs)}; body: ${excerpt(res.body, 200)}` }
            : { check: 'response_schema_conformance', ok: true });
        }
      }
    }
  }
  const problems: string[] = [];
  for (const [name, h] of Object.entries(doc.response.headers ?? {})) {
    if (name.toLowerCase() === 'content-type') continue;
    const raw = res.headers[name.toLowerCase()];
    if (raw === undefined) {
      if (h.required || opts.strictHeaders) problems.push(`documented header ${name} is missing`);
      else warnings.push(`${op.operationId} ${res.status}: documented header ${name} is missing (not required)`);
      continue;
    }
    const errs = validate(h.schema, headerValue(h.schema, raw));
    if (errs.length) problems.push(`header ${name}: ${JSON.stringify(raw)} ${explainErrors(errs)}`);
  }
  if (Object.keys(doc.response.headers ?? {}).length) {
    out.push(problems.length ? { check: 'response_headers_conformance', ok: false, message: problems.join('; ') } : { check: 'response_headers_conformance', ok: true });
  }
  return out;
}

/**
 * Headers every API answer needs whatever the spec says, errors included: `nosniff`, so a browser never runs a body as
 * another type than the one declared (a JSON error echoing input as HTML); `no-store`, so no cache (a proxy, the
 * browser's disk) keeps tokens, credentials or one tenant's data for the next reader.
 */
export function securityHeadersCheck(res: HttpResponse): CheckOutcome {
  const problems: string[] = [];
  const nosniff = res.headers['x-content-type-options'];
  if (nosniff === undefined) problems.push('no X-Content-Type-Options: nosniff');
  else if (nosniff.trim().toLowerCase() !== 'nosniff') problems.push(`X-Content-Type-Options is ${JSON.stringify(nosniff)}, nosniff is due`);
  const cache = res.headers['cache-control'];
  const directives = (cache ?? '').split(',').map((d) => d.trim().toLowerCase().split('=')[0]);
  if (cache === undefined) problems.push('no Cache-Control: no-store');
  else if (!directives.includes('no-store')) problems.push(`Cache-Control is ${JSON.stringify(cache)}, no-store is due`);
  return problems.length ? { check: 'security_headers', ok: false, message: problems.join('; ') } : { check: 'security_headers', ok: true };
}

export function serverErrorCheck(res: HttpResponse): CheckOutcome {
  if (res.error) return { check: 'not_a_server_error', ok: false, message: `no answer: ${res.error}` };
  if (res.status >= 500) return { check: 'not_a_server_error', ok: false, message: `answered ${res.status}: ${excerpt(res.body, 200)}` };
  return { check: 'not_a_server_error', ok: true };
}

/** The behaviour check that belongs to the kind of case. */
export function behaviourCheck(c: Case, res: HttpResponse): CheckOutcome | undefined {
  if (res.error) return undefined;
  const s = res.status;
  const body = () => excerpt(res.body, 200);
  switch (c.kind) {
    case 'example':
    case 'boundary':
    case 'generated':
    case 'plugin': {
      if (c.expectStatuses) {
        return c.expectStatuses.includes(s)
          ? { check: 'positive_data_acceptance', ok: true }
          : { check: 'positive_data_acceptance', ok: false, message: `answered ${s}, expected ${c.expectStatuses.join(' or ')}: ${body()}` };
      }
      if (s >= 200 && s < 300) return { check: 'positive_data_acceptance', ok: true };
      if (c.accept?.[s]) return { check: 'positive_data_acceptance', ok: true, message: `${s} accepted: ${c.accept[s]}` };
      if (c.namedRefusal && s === 400) {
        const text = res.body.toString('utf8');
        const named = c.namedRefusal.split('|').find((f) => text.includes(f));
        return named
          ? { check: 'positive_data_acceptance', ok: true, message: `400 names the field ${named}` }
          : { check: 'positive_data_acceptance', ok: false, message: `valid input answered 400 without naming the field (${c.namedRefusal.split('|').join(' or ')}): ${body()}` };
      }
      return { check: 'positive_data_acceptance', ok: false, message: `valid input answered ${s}: ${body()}` };
    }
    case 'negative':
    case 'malformed':
      if (c.expectStatuses) {
        return c.expectStatuses.includes(s)
          ? { check: 'negative_data_rejection', ok: true }
          : { check: 'negative_data_rejection', ok: false, message: `answered ${s}, the documented ${c.expectStatuses.join(' or ')} is due: ${body()}` };
      }
      return s >= 400 && s < 500
        ? { check: 'negative_data_rejection', ok: true }
        : { check: 'negative_data_rejection', ok: false, message: `invalid input answered ${s}, a 4xx is due: ${body()}` };
    case 'content-type': {
      const want415 = !!c.op?.responses['415'];
      if (want415) {
        return s === 415
          ? { check: 'negative_data_rejection', ok: true }
          : { check: 'negative_data_rejection', ok: false, message: `a wrong Content-Type answered ${s}, the documented 415 is due: ${body()}` };
      }
      return s >= 400 && s < 500
        ? { check: 'negative_data_rejection', ok: true }
        : { check: 'negative_data_rejection', ok: false, message: `a wrong Content-Type answered ${s}, a 4xx is due: ${body()}` };
    }
    case 'auth':
      if (s === 401 || s === 403) return { check: 'ignored_auth', ok: true };
      return { check: 'ignored_auth', ok: false, message: s >= 200 && s < 300 ? `the protected operation answered ${s} (${c.description}): credentials are ignored` : `answered ${s} to ${c.description}, 401 or 403 is due: ${body()}` };
    case 'method': {
      if (s !== 405) return { check: 'unsupported_method', ok: false, message: `${c.method.toUpperCase()} answered ${s}, 405 is due: ${body()}` };
      const allow = res.headers.allow;
      if (allow === undefined) return { check: 'unsupported_method', ok: false, message: '405 without an Allow header' };
      const listed = allow.split(',').map((m) => m.trim().toUpperCase()).filter(Boolean);
      const missing = (c.allowed ?? []).filter((m) => !listed.includes(m));
      if (missing.length) return { check: 'unsupported_method', ok: false, message: `Allow "${allow}" lacks the documented ${missing.join(', ')}` };
      if (listed.includes(c.method.toUpperCase())) return { check: 'unsupported_method', ok: false, message: `Allow "${allow}" lists the refused ${c.method.toUpperCase()}` };
      return { check: 'unsupported_method', ok: true };
    }
    default:
      return undefined;
  }
}
