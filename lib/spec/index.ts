/** The one spec module: loading, operations and responses, media types and negotiation, the Ajv setup. */
export * from './spec';
export * from './media';
export * from './ajv';
