import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDbKind, useTestDatabase } from '../../../test/db.js';
import { runCliInProcess as runCli, scratchDir, useCliDatabase } from '../../../test/processes.js';
import { listDpa } from './dpa.service.js';

// `custodia dpa publish` and `custodia dpa list` through the command's main()
// in this process, on an embedded data dir (pglite project) or on this file's
// own server database (postgres project).
const kind = testDbKind();
const t = useTestDatabase();
const cli = useCliDatabase(t);
const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe(`custodia dpa (${kind})`, () => {
  it('publishes a version per language from files, lists it as current, and never replaces a text', async () => {
    const dir = await scratchDir('custodia-dpa-');
    const en = path.join(dir, 'dpa-en.md');
    const nl = path.join(dir, 'dpa-nl.md');
    const subs = path.join(dir, 'subs.json');
    const textEn = '# DPA 2027-06\n\nOur terms.\n';
    const textNl = '# Verwerkersovereenkomst 2027-06\n\nOnze voorwaarden.\n';
    await writeFile(en, textEn);
    await writeFile(nl, textNl);
    await writeFile(subs, JSON.stringify([{ name: 'Hoster BV', service: 'Hosting', location: 'Amsterdam, NL' }]));

    const first = await runCli(['dpa', 'publish', '--version', '2027-06', '--file', en, '--sub-processors', subs, '--json'], cli.env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      version: '2027-06',
      language: 'en',
      sha256: sha(textEn),
      subProcessors: 1,
      current: true,
    });

    const second = await runCli(['dpa', 'publish', '--version', '2027-06', '--language', 'nl', '--file', nl], cli.env);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`published DPA 2027-06 (nl), sha256 ${sha(textNl)}, 1 sub-processors; it is the current version\n`);

    const again = await runCli(['dpa', 'publish', '--version', '2027-06', '--file', nl], cli.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has a text in en/);

    const listed = JSON.parse((await runCli(['dpa', 'list', '--json'], cli.env)).stdout) as Array<Record<string, unknown>>;
    expect(listed.map((v) => `${v.version as string}/${v.language as string}/${String(v.current)}`)).toEqual([
      '2027-06/en/true',
      '2027-06/nl/true',
      '2026-12/en/false',
      '2026-12/nl/false',
    ]);
    const human = await runCli(['dpa', 'list'], cli.env);
    expect(human.stdout.split('\n')[0]).toMatch(new RegExp(`^2027-06  en  \\d{4}-\\d{2}-\\d{2}  ${sha(textEn)}  current$`));

    const stored = await cli.on((db) => listDpa(db));
    expect(stored.filter((v) => v.current).map((v) => v.sha256)).toEqual([sha(textEn), sha(textNl)]);
  });

  it.each([
    [['dpa', 'publish', '--file', 'README.md'], /missing --version/],
    [['dpa', 'publish', '--version', '2027-07'], /missing --file/],
    [['dpa', 'publish', '--version', '2027-07', '--file', '/nonexistent/dpa.md'], /--file: no such file/],
    [['dpa', 'publish', '--version', '2027-07', '--file', 'README.md', '--language', 'de'], /--language must be en or nl/],
    [['dpa', 'sign'], /unknown command "dpa sign"/],
  ])('refuses %j with exit 2 and a one-line reason', async (args, reason) => {
    const result = await runCli(args, cli.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lists the dpa commands in its usage', async () => {
    const usage = (await runCli(['--help'], cli.env)).stdout;
    expect(usage).toContain('dpa publish --version <v> --file <text file> [--language en|nl] [--sub-processors <JSON file>]');
    expect(usage).toContain('dpa list [--json]');
  });
});
