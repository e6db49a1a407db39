/**
 * The layering rules of DESIGN.md, as code: given a file and the module specifiers it imports,
 * returns the rules it breaks. Used by boundaries.test.ts on the whole tree.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

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
    if ((specifier === 'electron-store' || specifier.startsWith('electron-store/')) && !inElectronLayer) add('only src-main/electron may use electron-store');
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
    if (layer === 'src-main' && !inElectronLayer && target?.startsWith('src-main/electron/')) add('only the Electron layer may import src-main/electron');
  }
  return violations;
}
