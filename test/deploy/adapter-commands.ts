import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';

/**
 * What each port's adapter sends to AWS, read from the adapter source (not from deploy/iam.ts): for every
 * port in `createDeps` (src/adapters/aws/deps.ts), and for every method of the MGN port, the SDK commands
 * reached from it (`new XxxCommand(` and `paginateXxx(`, following calls to the adapter files' own functions
 * and the local values `createDeps` builds them from). A command added to an adapter shows up here, so the
 * role test fails until deploy/iam.ts grants it.
 */

const ADAPTERS = resolve(import.meta.dirname, '../../src/adapters/aws');

/** SDK module -> IAM service prefix. */
const SERVICE: Record<string, string> = {
  '@aws-sdk/client-mgn': 'mgn',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-service-quotas': 'servicequotas',
  '@aws-sdk/client-scheduler': 'scheduler',
  '@aws-sdk/client-eventbridge': 'events',
};
/** The DocumentClient's command names -> the DynamoDB API they call. */
const DOCUMENT_CLIENT: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

interface Source {
  file: string;
  sf: ts.SourceFile;
  /** Top-level functions (declarations and `const f = (...) =>`). */
  functions: Map<string, ts.Node>;
  /** Imported identifier -> module specifier. */
  imports: Map<string, string>;
}

const sources = new Map<string, Source>();
function source(file: string): Source {
  const cached = sources.get(file);
  if (cached) return cached;
  const sf = ts.createSourceFile(file, readFileSync(resolve(ADAPTERS, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const functions = new Map<string, ts.Node>();
  const imports = new Map<string, string>();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) functions.set(st.name.text, st);
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) functions.set(d.name.text, d.initializer);
    }
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      for (const el of st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings) ? st.importClause.namedBindings.elements : []) {
        imports.set(el.name.text, st.moduleSpecifier.text);
      }
    }
  }
  const out = { file, sf, functions, imports };
  sources.set(file, out);
  return out;
}

/** `./stores.ts` -> `stores.ts`; undefined for anything outside src/adapters/aws. */
const localFile = (spec: string | undefined) => (spec?.startsWith('./') ? spec.slice(2) : undefined);

function action(module: string, name: string): string | undefined {
  const service = SERVICE[module];
  if (!service) return undefined;
  if (module === '@aws-sdk/lib-dynamodb') return `dynamodb:${DOCUMENT_CLIENT[name] ?? name}`;
  return `${service}:${name}`;
}

/** Every IAM action (from SDK commands) reachable from `node` in `src`. */
function actionsIn(src: Source, node: ts.Node, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  const follow = (file: string, name: string) => {
    const key = `${file}#${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const s = source(file);
    const fn = s.functions.get(name);
    if (fn) for (const a of actionsIn(s, fn, seen)) out.add(a);
  };
  const visit = (n: ts.Node) => {
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text.endsWith('Command')) {
      const module = src.imports.get(n.expression.text);
      const a = module ? action(module, n.expression.text.slice(0, -'Command'.length)) : undefined;
      if (a) out.add(a);
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
      const name = n.expression.text;
      const module = src.imports.get(name);
      if (module && name.startsWith('paginate')) {
        const a = action(module, name.slice('paginate'.length));
        if (a) out.add(a);
      } else if (src.functions.has(name)) follow(src.file, name);
      else if (localFile(module)) follow(localFile(module) as string, name);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

function returnedObject(fn: ts.Node): ts.ObjectLiteralExpression | undefined {
  let found: ts.ObjectLiteralExpression | undefined;
  const visit = (n: ts.Node) => {
    if (found) return;
    if (ts.isReturnStatement(n) && n.expression && ts.isObjectLiteralExpression(n.expression)) found = n.expression;
    else if (!ts.isFunctionLike(n) || n === fn) ts.forEachChild(n, visit);
  };
  ts.forEachChild(fn, visit);
  return found;
}

const propName = (p: ts.ObjectLiteralElementLike) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined);

/**
 * Port -> IAM actions its adapter's commands need, and `mgn.<method>` -> the MGN method's. The raw `clients`
 * are left out (handlers cannot declare them).
 */
export function adapterActions(): Record<string, string[]> {
  const deps = source('deps.ts');
  const createDeps = deps.functions.get('createDeps');
  if (!createDeps) throw new Error('src/adapters/aws/deps.ts: createDeps not found');
  /** Local consts of createDeps (`const dedupe = createDedupe(...)`). */
  const locals = new Map<string, ts.Node>();
  const collectLocals = (n: ts.Node) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) locals.set(n.name.text, n.initializer);
    ts.forEachChild(n, collectLocals);
  };
  collectLocals(createDeps);
  const result = returnedObject(createDeps);
  if (!result) throw new Error('src/adapters/aws/deps.ts: createDeps returns no object literal');

  const portActions = (value: ts.Node): Set<string> => {
    const out = new Set<string>();
    const seenLocals = new Set<string>();
    const visit = (n: ts.Node) => {
      if (ts.isIdentifier(n) && locals.has(n.text) && !seenLocals.has(n.text)) {
        seenLocals.add(n.text);
        visit(locals.get(n.text) as ts.Node);
      }
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
        const file = localFile(deps.imports.get(n.expression.text));
        if (file) {
          const s = source(file);
          const fn = s.functions.get(n.expression.text);
          if (fn) for (const a of actionsIn(s, fn)) out.add(a);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(value);
    return out;
  };

  const out: Record<string, string[]> = {};
  for (const p of result.properties) {
    const name = propName(p);
    if (!name || name === 'clients') continue;
    const value = ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : p;
    if (name === 'mgn') {
      // per method: the MGN port's object literal
      const mgn = source('mgn.ts');
      const factory = mgn.functions.get('createMgnPort');
      const methods = factory && returnedObject(factory);
      if (!methods) throw new Error('src/adapters/aws/mgn.ts: createMgnPort returns no object literal');
      for (const m of methods.properties) {
        const method = propName(m);
        if (method) out[`mgn.${method}`] = [...actionsIn(mgn, m)].sort();
      }
      continue;
    }
    out[name] = [...portActions(value)].sort();
  }
  return out;
}

/** The adapter files (for messages). */
export const adapterFiles = () => readdirSync(ADAPTERS).filter((f) => f.endsWith('.ts'));

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) console.log(JSON.stringify(adapterActions(), null, 1));
