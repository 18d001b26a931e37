import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import * as dashboard from './dashboard.ts';
import * as approvals from './approvals.ts';
import * as demo from './demo.ts';
import * as doctor from './doctor.ts';
import * as emulator from './emulator.ts';
import * as graph from './graph.ts';
import * as help from './help.ts';
import * as local from './local.ts';
import * as servers from './servers.ts';
import * as soak from './soak.ts';
import * as wave from './wave.ts';

/** Each command is one module with `register(program, ctx)`; `help` stays last in the listing. */
export const commands: ReadonlyArray<{ register(program: Command, ctx: CliContext): void }> = [emulator, local, servers, wave, soak, approvals, graph, demo, dashboard, doctor, help];
