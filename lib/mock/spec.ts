/** The mock reads specs through the kernel's one spec module. */
export * from '../spec';
