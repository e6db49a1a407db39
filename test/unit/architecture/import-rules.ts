/**
 * The layering rules (docs/CONTRIBUTING.md, "Layers"), as code: given a file and the module
 * specifiers it imports, returns the rules it breaks. Used by boundaries.test.ts on the whole tree.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * The floors of src-main, lowest first. A file may import its own floor and the floors below it,
 * never one above (a back-arrow). The ground floor is the files directly in src-main/ plus fs/ and
 * random/; the top floor holds the entry points and transports, which may use each other.
 */
export const MAIN_FLOORS: readonly (readonly string[])[] = [
  ['', 'fs', 'random'],
  ['engine'],
  ['services'],
  ['analysis'],
  ['report'],
  ['study-run'],
  ['cli', 'host', 'worker', 'electron', 'bridge', 'rpc', 'security'],
];

/** The floor of a src-main file (its first folder, '' for files directly in src-main), or -1 for an unknown folder. */
export function mainFloor(relativeFile: string): number {
  const parts = relativeFile.split('/');
  const folder = parts.length > 2 ? parts[1]! : '';
  return MAIN_FLOORS.findIndex((floor) => floor.includes(folder));
}

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

/** Every module specifier a source file imports: static imports/exports, dynamic import(), require(), import type. */
export function importsOf(source: string, fileName = 'file.ts'): string[] {
  const info = ts.preProcessFile(source, true, true);
  const found = info.importedFiles.map((f) => f.fileName);
  // preProcessFile sees require() and import() with literal arguments; catch a few more shapes defensively.
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const callee = node.expression.getText(sf);
      if (callee === 'require' || node.expression.kind === ts.SyntaxKind.ImportKeyword || /(^|\.)require$/.test(callee)) {
        found.push((node.arguments[0] as ts.StringLiteralLike).text);
      }
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return [...new Set(found)];
}

/** Checks one file (path relative to the repo root, with forward slashes) against the layering rules. */
export function checkFile(relativeFile: string, specifiers: string[]): Violation[] {
  const violations: Violation[] = [];
  const layer = relativeFile.split('/')[0]!;
  const inElectronLayer = relativeFile.startsWith('src-main/electron/');
  for (const specifier of specifiers) {
    const add = (rule: string) => violations.push({ file: relativeFile, specifier, rule });
    const isElectron = specifier === 'electron' || specifier.startsWith('electron/');
    const target = specifier.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(relativeFile), specifier)) : null;
    const targetLayer = target?.split('/')[0];
    if (isElectron && !inElectronLayer) add("only src-main/electron may import 'electron'");
    if ((specifier === 'electron-store' || specifier.startsWith('electron-store/')) && !inElectronLayer)
      add('only src-main/electron may use electron-store');
    if (layer === 'src-shared') {
      if (NODE_BUILTINS.has(specifier)) add('src-shared must not import Node built-ins');
      if (isElectron) add("src-shared must not import 'electron'");
      if (targetLayer === 'src-main' || targetLayer === 'src-renderer') add(`src-shared must not import ${targetLayer}`);
    }
    if (layer === 'src-renderer') {
      if (NODE_BUILTINS.has(specifier)) add('src-renderer must not import Node built-ins');
      if (targetLayer === 'src-main') add('src-renderer must not import src-main (use the contract in src-shared)');
    }
    if (layer === 'src-main' && targetLayer === 'src-renderer') add('src-main must not import src-renderer');
    if (layer === 'src-main' && targetLayer === 'src-main' && target) {
      const [from, to] = [mainFloor(relativeFile), mainFloor(target)];
      if (from < 0) add(`${relativeFile.split('/').slice(0, 2).join('/')} is on no floor of the layering: add it to MAIN_FLOORS`);
      else if (to > from) add(`back-arrow: ${floorName(from)} must not import ${floorName(to)} (${target})`);
    }
    if (layer === 'src-main' && !inElectronLayer && target?.startsWith('src-main/electron/'))
      add('only the Electron layer may import src-main/electron');
  }
  return violations;
}

function floorName(floor: number): string {
  return MAIN_FLOORS[floor]!.map((f) => (f === '' ? 'src-main/*.ts' : `src-main/${f}`)).join(' | ');
}
