import type { Command } from 'commander';
import {
  ROLES,
  ROLE_GRANTS,
  createToken,
  modelScopeProblem,
  type Role,
} from '../../api/auth/tokens.js';
import { InputError } from '../../errors.js';
import type { CommandContext } from '../program.js';

/** token create: a new random API token, shown once, and the line that grants it. */
export function registerTokenCommands(program: Command, _context: CommandContext): void {
  const token = program.command('token').description('API tokens for the HTTP API and dashboard');
  token
    .command('create')
    .description(
      `make a new random token for a role (${ROLES.join(', ')}); prints it once, and the line for DRIFTWATCH_TOKENS`,
    )
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--name <name>', 'who holds it (shown in logs and acknowledgements)')
    .option(
      '--models <list>',
      'ingest only: the models it may post events for, comma-separated (team-a-* for a family); default every model',
    )
    .action((flags: { role: string; name?: string; models?: string }) => {
      if (!(ROLES as readonly string[]).includes(flags.role)) {
        throw new InputError(
          { file: '--role' },
          `"${flags.role}" is not one of ${ROLES.join(', ')}`,
        );
      }
      if (flags.name !== undefined && !/^[A-Za-z0-9._@-]{1,64}$/.test(flags.name)) {
        throw new InputError({ file: '--name' }, 'letters, digits, . _ @ - only (at most 64)');
      }
      const models = flags.models?.split(',').map((model) => model.trim());
      const problem = models && modelScopeProblem(flags.role as Role, models);
      if (problem) throw new InputError({ file: '--models' }, problem);
      const created = createToken(flags.role as Role, flags.name, models);
      process.stdout.write(
        [
          `token (shown once; give it to its holder, store it nowhere else):`,
          `  ${created.token}`,
          ``,
          `add this line to DRIFTWATCH_TOKENS (comma-separated) or to the DRIFTWATCH_TOKENS_FILE (one per line):`,
          `  ${created.line}`,
          ``,
          `role ${flags.role} may reach: ${ROLE_GRANTS[flags.role as Role].join(', ')}${models ? `, posting events for ${models.join(', ')} only` : ''}`,
          ``,
        ].join('\n'),
      );
    });
}
