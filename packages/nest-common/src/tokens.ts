// Injection tokens for the clients ServiceCoreModule owns.
export const PRISMA = Symbol('PRISMA');
export const KAFKA = Symbol('KAFKA');
export const PRODUCER = Symbol('PRODUCER');
export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
