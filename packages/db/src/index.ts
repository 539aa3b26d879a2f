export * from './entities.ts';
export * from './orm.ts';
export { pendingSchemaChanges } from './drift.ts';
export { createScratchDatabase, testPostgresUrl, type ScratchDatabase } from './scratch.ts';
export { seedDemoData } from './seed.ts';
export * from './conversation-log.ts';
export { hashPassword, verifyPassword } from './passwords.ts';
export { DEMO_PASSWORD } from './seed.ts';
