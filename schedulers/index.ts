export * from './prng.js';
export * from './scheduler.js';
export * from './random.js';
export * from './replay.js';
export * from './runtime.js';
export * from './encoding.js';
