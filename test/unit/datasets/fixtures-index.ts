export * from './fixtures';
export * from './helpers';
