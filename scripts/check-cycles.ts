// Import cycles in src/: between files and between domain folders.
//
//   node --import tsx scripts/check-cycles.ts            exit 1 when any cycle exists (CI)
//   node --import tsx scripts/check-cycles.ts --report   print them, always exit 0
//   node --import tsx scripts/check-cycles.ts --files    exit 1 on file cycles only
//
// It reads every static `import … from`, `export … from` and `import('…')` with a
// relative specifier in src/**/*.ts (test files excluded: nothing imports them, and
// a test may reach across domains to build its scenario). `import type` counts too,
// in both graphs: a type-only import still says "this code depends on that code",
// and a cycle of types today is a cycle of values tomorrow.
// A folder is src/<folder>/ (nested folders belong to their top folder); a file
// directly in src/ is its own node (src/config.ts → "config.ts").
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const reportOnly = process.argv.includes('--report');
const filesOnly = process.argv.includes('--files');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function specifiers(path: string): string[] {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) found.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found.filter((s) => s.startsWith('.'));
}

const rel = (path: string): string => relative(src, path).split(sep).join('/');
const folderOf = (file: string): string => file.split('/')[0]!;

const files = sourceFiles(src).map(rel).sort();
const known = new Set(files);
const fileEdges = new Map<string, Set<string>>(files.map((f) => [f, new Set()]));
const folderEdges = new Map<string, Map<string, string>>(); // from → to → one example "a.ts → b.ts"

for (const file of files) {
  for (const spec of specifiers(join(src, file))) {
    const target = rel(resolve(dirname(join(src, file)), spec)).replace(/\.js$/, '.ts');
    if (!known.has(target)) continue; // outside src/, or a test helper
    fileEdges.get(file)!.add(target);
    const [from, to] = [folderOf(file), folderOf(target)];
    if (from === to) continue;
    const out = folderEdges.get(from) ?? new Map<string, string>();
    if (!out.has(to)) out.set(to, `${file} → ${target}`);
    folderEdges.set(from, out);
  }
}

// Tarjan's strongly connected components; only those with more than one node are cycles.
function components(nodes: string[], next: (n: string) => Iterable<string>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) result.push(scc.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) strong(n);
  return result;
}

// One concrete cycle through a component, as a path, so the reader sees which arrow to break.
function cycleThrough(start: string, members: Set<string>, next: (n: string) => Iterable<string>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next(v)) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

const nextFile = (f: string): Iterable<string> => fileEdges.get(f) ?? [];
const folders = [...new Set(files.map(folderOf))].sort();
const nextFolder = (f: string): Iterable<string> => folderEdges.get(f)?.keys() ?? [];

const fileCycles = components(files, nextFile);
const folderCycles = components(folders, nextFolder);

const print = (line: string): boolean => process.stdout.write(line + '\n');
print(`${files.length} files, ${folders.length} folders`);
print(`file cycles: ${fileCycles.length}`);
for (const scc of fileCycles) {
  print(`  component of ${scc.length}: ${scc.join(', ')}`);
  print(`    e.g. ${cycleThrough(scc[0]!, new Set(scc), nextFile).join(' → ')}`);
}
print(`folder cycles: ${folderCycles.length}`);
for (const scc of folderCycles) {
  const members = new Set(scc);
  print(`  component: ${scc.join(', ')}`);
  const path = cycleThrough(scc[0]!, members, nextFolder);
  print(`    e.g. ${path.join(' → ')}`);
  for (const from of scc) {
    for (const [to, example] of folderEdges.get(from) ?? []) if (members.has(to)) print(`    ${from} → ${to}: ${example}`);
  }
}
if (!reportOnly && (fileCycles.length > 0 || (!filesOnly && folderCycles.length > 0))) process.exit(1);
