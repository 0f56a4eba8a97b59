/**
 * Mock answers are the specs' examples, so every example in every spec must validate against its schema: media-type
 * example/examples, parameter and header examples, and the example of every schema. The checker itself is shown to
 * catch each kind of invalid example on a small spec, so this suite cannot pass by finding nothing.
 */
import { collectExamples, invalidExamples, orphanExamples } from '../../lib/mock/examples';
import { discoverSpecs, ServiceSpec } from '../../lib/spec';

describe.each(discoverSpecs())('examples of spec/%s.yaml', (name) => {
  const spec = ServiceSpec.load(name);

  it('has examples to check', () => {
    expect(collectExamples(spec).length).toBeGreaterThan(0);
  });

  it('every example validates against its schema', () => {
    expect(invalidExamples(spec).map((p) => `${p.where}: ${p.errors}`)).toEqual([]);
  });

  it('every named example in components/examples is used somewhere (so it is checked)', () => {
    expect(orphanExamples(spec)).toEqual([]);
  });
});

describe('the example checker', () => {
  const text = `
openapi: 3.0.3
info: { title: t, version: '1' }
paths:
  /things/{id}:
    parameters:
      - name: id
        in: path
        required: true
        schema: { type: string, format: uuid }
        example: not-a-uuid
    get:
      operationId: read_thing
      parameters:
        - $ref: '#/components/parameters/limit'
      responses:
        '200':
          description: ok
          headers:
            X-Count:
              schema: { type: integer }
              example: many
          content:
            application/json:
              schema: { $ref: '#/components/schemas/thing' }
              examples:
                good: { value: { id: 1, name: null } }
                bad: { $ref: '#/components/examples/bad_thing' }
    put:
      operationId: update_thing
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/thing' }
            example: { id: 1, name: x, extra: true }
      responses:
        '204': { description: ok }
components:
  parameters:
    limit:
      name: limit
      in: query
      schema: { type: integer, minimum: 1, exclusiveMaximum: true, maximum: 10 }
      example: 10
  examples:
    bad_thing:
      value: { id: -1 }
    unused:
      value: whatever
  schemas:
    thing:
      type: object
      additionalProperties: false
      required: [id]
      properties:
        id: { type: integer, minimum: 0, example: 3 }
        name: { type: string, nullable: true, minLength: 2, example: 'y' }
        tags:
          type: array
          items: { type: string, enum: [a, b], example: c }
      example: { id: 2, name: ok }
`;
  const spec = new ServiceSpec('t', 't.yaml', text);

  it('finds every kind of example', () => {
    const where = collectExamples(spec).map((c) => c.where).sort();
    expect(where).toEqual([
      'components.parameters.limit.example',
      'components.schemas.thing.example',
      'components.schemas.thing.properties.id.example',
      'components.schemas.thing.properties.name.example',
      'components.schemas.thing.properties.tags.items.example',
      'paths./things/{id}.get.responses.200.content.application/json.examples.bad',
      'paths./things/{id}.get.responses.200.content.application/json.examples.good',
      'paths./things/{id}.get.responses.200.headers.X-Count.example',
      'paths./things/{id}.parameters.0.example',
      'paths./things/{id}.put.requestBody.content.application/json.example',
    ]);
  });

  it('names examples nothing references', () => {
    expect(orphanExamples(spec)).toEqual(['components.examples.unused']);
  });

  it('reports exactly the invalid ones, honouring nullable and OpenAPI 3.0 exclusiveMaximum', () => {
    const bad = invalidExamples(spec).map((p) => p.where).sort();
    expect(bad).toEqual([
      'components.parameters.limit.example', // 10 with exclusiveMaximum: true, maximum: 10
      'components.schemas.thing.properties.name.example', // 'y' shorter than minLength 2
      'components.schemas.thing.properties.tags.items.example', // c not in the enum
      'paths./things/{id}.get.responses.200.content.application/json.examples.bad', // id -1 below minimum
      'paths./things/{id}.get.responses.200.headers.X-Count.example', // not an integer
      'paths./things/{id}.parameters.0.example', // not a uuid
      'paths./things/{id}.put.requestBody.content.application/json.example', // extra property
    ]);
  });
});
