import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { DriftwatchError, InputError } from '../../errors.js';
import { generateSigningKey, loadPublicKey } from '../../exports/signing.js';
import { fingerprintOf, verifyExport, type VerifyReport } from '../../exports/verifyExport.js';
import {
  MANIFEST_FILE,
  prepareEmptyDirectory,
  writeExport,
  type Manifest,
} from '../../exports/writeExport.js';
import { openStore } from '../../store/clickhouse.js';
import { softwareVersion } from '../../version.js';
import type { CommandContext } from '../program.js';
import type { ServiceClient } from '../serviceClient.js';

const FORMATS = ['csv', 'jsonl', 'parquet'] as const;

/** export (signed, hash-chained compliance exports), export verify and export keygen. */
export function registerExportCommands(program: Command, context: CommandContext): void {
  const command = program
    .command('export')
    .description(
      'write the drift history, monitor file versions, baselines and alert audit trail (transitions, acknowledgements, silences, deliveries) of a period, hash-chained and signed (DRIFTWATCH_EXPORT_SIGNING_KEY)',
    )
    .option('--from <time>', 'start of the period (RFC 3339): windows ending after it')
    .option('--to <time>', 'end of the period (RFC 3339): windows ending at or before it')
    .option('--model <model>', 'only this model')
    .option('--format <format>', FORMATS.join(' | '), 'jsonl')
    .option('--out <dir>', 'a new (or empty) directory for the files and manifest.json')
    .action(
      async (flags: {
        from?: string;
        to?: string;
        model?: string;
        format: string;
        out?: string;
      }) => {
        if (!flags.from || !flags.to || !flags.out) {
          throw new InputError(
            { file: 'export' },
            '--from, --to and --out are required (see --help)',
          );
        }
        if (!(FORMATS as readonly string[]).includes(flags.format)) {
          throw new InputError(
            { file: '--format' },
            `"${flags.format}" is not one of ${FORMATS.join(', ')}`,
          );
        }
        const from = parseTime('--from', flags.from);
        const to = parseTime('--to', flags.to);
        const format = flags.format as (typeof FORMATS)[number];
        const backend = await context.storeOrService();
        let manifest: Manifest;
        if (backend.kind === 'service') {
          // The service that holds the store writes and signs it (with its key), as for any client.
          manifest = await downloadExport(backend.service, {
            from,
            to,
            model: flags.model,
            format,
            outDir: flags.out,
          });
        } else {
          const signingKey = context.config.exports.signingKey;
          if (!signingKey) {
            throw new InputError(
              { file: 'DRIFTWATCH_EXPORT_SIGNING_KEY' },
              'not set: exports are signed (driftwatch export keygen makes a key pair)',
            );
          }
          manifest = await writeExport(backend.store, {
            from,
            to,
            model: flags.model,
            format,
            outDir: flags.out,
            signingKey,
            softwareVersion: softwareVersion(),
          });
        }
        for (const file of manifest.files) {
          process.stdout.write(
            `${file.name.padEnd(28)} ${String(file.rows).padStart(9)} records  sha256 ${file.sha256}\n`,
          );
        }
        process.stdout.write(
          `manifest.json: ${manifest.chain.records} records, chain head ${manifest.chain.head}, signed by key ${manifest.signature?.key_id}\n`,
        );
      },
    );

  command
    .command('verify <dir>')
    .description(
      "check an export: signature, every record's chain link and hash, files' SHA-256 and row counts; " +
        'who signed it is proven only with a key (or fingerprint) you trust',
    )
    .option(
      '--public-key <key>',
      'the Ed25519 public key to trust (PEM file, PEM or base64); default DRIFTWATCH_EXPORT_PUBLIC_KEY',
    )
    .option(
      '--key-fingerprint <sha256>',
      "or the trusted key's fingerprint, pinned (sha256:..., printed by export keygen); default DRIFTWATCH_EXPORT_KEY_FINGERPRINT",
    )
    .option('--json', 'print the report as JSON')
    .action(
      async (
        dir: string,
        flags: { publicKey?: string; keyFingerprint?: string; json?: boolean },
      ) => {
        const given = flags.publicKey ?? context.config.exports.publicKey ?? undefined;
        const publicKey = given && fs.existsSync(given) ? fs.readFileSync(given, 'utf8') : given;
        const fingerprint =
          flags.keyFingerprint ?? context.config.exports.publicKeyFingerprint ?? undefined;
        // Its own scratch engine: verifying never touches (or waits for) the service's store.
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-verify-store-'));
        const store = await openStore({ kind: 'embedded', dataDir: scratch, database: 'verify' });
        try {
          const report = await verifyExport(dir, { publicKey, fingerprint, store });
          if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          else process.stdout.write(describeVerification(report));
          process.exitCode = verifyExitStatus(report);
        } finally {
          await store.close();
          fs.rmSync(scratch, { recursive: true, force: true });
        }
      },
    );

  command
    .command('keygen')
    .description('make an Ed25519 key pair for signing exports')
    .action(() => {
      const { privateKey, publicKey } = generateSigningKey();
      process.stdout.write(
        [
          'private key (keep secret; the service and the export command read it):',
          `  DRIFTWATCH_EXPORT_SIGNING_KEY=${privateKey}`,
          'public key (give it to whoever verifies exports):',
          `  DRIFTWATCH_EXPORT_PUBLIC_KEY=${publicKey}`,
          'or its fingerprint, to pin instead of the key:',
          `  DRIFTWATCH_EXPORT_KEY_FINGERPRINT=${fingerprintOf(loadPublicKey(publicKey))}`,
          '',
        ].join('\n'),
      );
    });
}

/** GET /v1/exports, unpacked into `outDir` (new or empty, as for a local export). */
async function downloadExport(
  service: ServiceClient,
  request: {
    from: Date;
    to: Date;
    model?: string;
    format: (typeof FORMATS)[number];
    outDir: string;
  },
): Promise<Manifest> {
  prepareEmptyDirectory(request.outDir);
  const response = await service.exportArchive({
    from: request.from.toISOString(),
    to: request.to.toISOString(),
    model: request.model,
    format: request.format,
  });
  if (!response.body) throw new DriftwatchError('DW_INTERNAL', 'the service sent no archive');
  // tar is loaded only here: every other command skips it
  const { extract: extractTar } = await import('tar');
  await pipeline(
    Readable.fromWeb(response.body as WebReadableStream),
    extractTar({ cwd: request.outDir, strict: true }),
  );
  return JSON.parse(fs.readFileSync(path.join(request.outDir, MANIFEST_FILE), 'utf8')) as Manifest;
}

/** 0: intact and signed by the trusted key; 3: intact, origin unproven; 1: anything else. */
export const EXIT_ORIGIN_UNPROVEN = 3;

function verifyExitStatus(report: VerifyReport): number {
  if (report.ok) return 0;
  return report.integrity === 'intact' && report.origin === 'unproven' ? EXIT_ORIGIN_UNPROVEN : 1;
}

function describeVerification(report: VerifyReport): string {
  const lines = report.problems.map((problem) => `BAD  ${problem}`);
  if (report.ok) lines.push(`OK   ${report.records} records, chain intact, signature valid`);
  else if (report.integrity === 'intact')
    lines.push(
      `UNPROVEN  ${report.records} records, chain intact, signature valid for the key the export carries ` +
        `(${report.keyFingerprint}); who signed it is not proven, since anyone can re-sign an edited copy: ` +
        'pass --public-key (or set DRIFTWATCH_EXPORT_PUBLIC_KEY), or pin --key-fingerprint (DRIFTWATCH_EXPORT_KEY_FINGERPRINT)',
    );
  else
    lines.push(
      `FAILED: ${report.problems.length} problem(s); signature ${report.signature}, origin ${report.origin}`,
    );
  return `${lines.join('\n')}\n`;
}

function parseTime(flag: string, text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new InputError({ file: flag }, `"${text}" is not an RFC 3339 time`);
  }
  return date;
}
