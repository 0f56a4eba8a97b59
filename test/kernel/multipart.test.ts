/** multipart/form-data through the kernel: files reach the handler as bytes, required files and fields are enforced. */
import crypto from 'node:crypto';
import path from 'node:path';
import supertest from 'supertest';
import { createApp } from '../../lib/app';
import type { ServiceDefinition } from '../../lib/service';
import type { UploadedFile } from '../../lib/multipart';

const upload: ServiceDefinition = {
  name: 'upload',
  specFile: path.join(__dirname, 'fixtures', 'upload.yaml'),
  prefix: '/upload',
  strategies: () => ({}),
  init: () => undefined,
  renderError: (err) => ({ status: err.status, body: { kind: err.kind, message: err.message } }),
  handlers: {
    upload_file: async (input) => {
      const body = input.body as unknown as { name: string; file: UploadedFile };
      const sha1 = crypto.createHash('sha1').update(body.file.data).digest('hex');
      return { status: 200, body: { name: body.name, filename: body.file.filename, size: body.file.data.length, sha1 } } as never;
    },
  },
};

let agent: ReturnType<typeof supertest>;
beforeAll(async () => {
  process.env.BODY_LIMIT_BYTES = String(64 * 1024);
  agent = supertest((await createApp({ services: [upload], validateResponses: true })).app);
});
afterAll(() => { delete process.env.BODY_LIMIT_BYTES; });

describe('multipart uploads', () => {
  it('hands the handler the file bytes and the fields', async () => {
    const bytes = crypto.randomBytes(5000);
    const res = await agent.post('/upload/files').field('name', 'robot').attach('file', bytes, { filename: 'main.robot', contentType: 'application/octet-stream' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ name: 'robot', filename: 'main.robot', size: 5000, sha1: crypto.createHash('sha1').update(bytes).digest('hex') });
  });

  it('refuses a missing required file (which openapi-backend alone would let through)', async () => {
    const res = await agent.post('/upload/files').field('name', 'robot');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/file: file is required/);
  });

  it('validates the fields against the schema', async () => {
    const short = await agent.post('/upload/files').field('name', 'r').attach('file', Buffer.from('x'), 'a.robot');
    expect(short.status).toBe(400);
    const extra = await agent.post('/upload/files').field('name', 'robot').field('other', 'x').attach('file', Buffer.from('x'), 'a.robot');
    expect(extra.status).toBe(400);
  });

  it('answers 413 for a file over the body limit and 415 for another content type', async () => {
    const big = await agent.post('/upload/files').field('name', 'robot').attach('file', Buffer.alloc(70 * 1024), 'big.robot');
    expect(big.status).toBe(413);
    const json = await agent.post('/upload/files').send({ name: 'robot' });
    expect(json.status).toBe(415);
  });
});
