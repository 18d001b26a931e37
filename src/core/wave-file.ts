/**
 * The wave file (docs/adr, "Interfaces"): YAML or JSON, read in two passes.
 *
 * 1. `parseWaveFile(text, file)`: syntax, shape (zod) and the local times of the cutover and freeze windows.
 * 2. `validateWave(parsed, ctx)`: against MGN: servers resolved by id or hostname, one application per
 *    server, MGN's quotas, the cutover window against the freezes and the clock.
 *
 * Each pass collects every error it finds; each error reads `file:path: value: what is allowed` and both
 * passes throw them together in one WaveFileError. Nothing may start until both passes succeed.
 * `waveFromMgn` builds the same `Wave` from MGN's own Waves and Applications.
 *
 * By concern, in src/core/wave-file/: the resolved wave (model), errors (issues), the shape (schema), pass 1
 * (parse), pass 2 (validate) and MGN's own plan (from-mgn). This module is their one entry.
 */
export * from './wave-file/model.ts';
export * from './wave-file/issues.ts';
export * from './wave-file/schema.ts';
export * from './wave-file/parse.ts';
export * from './wave-file/validate.ts';
export * from './wave-file/from-mgn.ts';
