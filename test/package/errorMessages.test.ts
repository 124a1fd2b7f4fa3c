import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "../harness/program";

/**
 * What an error or warning tells a user to call must be callable by a user: every function, class or
 * constant of the library that a message of components/ or config/ names is exported from the
 * package's entry points (`istio-mesh-ca`, `istio-mesh-ca/config`).
 */

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

const FILES = [...sources(path.join(ROOT, "components")), ...sources(path.join(ROOT, "config"))];
const parsed = FILES.map((f) => ts.createSourceFile(f, fs.readFileSync(f, "utf8"), ts.ScriptTarget.ES2022, true));

/** Names of values (functions, classes, constants) some module of the library exports. */
function exportedValues(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const exported = (n: ts.Node) =>
    ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const s of sf.statements) {
    if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name && exported(s)) out.push(s.name.text);
    if (ts.isVariableStatement(s) && exported(s)) {
      for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) out.push(d.name.text);
    }
  }
  return out;
}

/** The text of a message argument: string and template literals, and concatenations of them. */
function textOf(n: ts.Node): string {
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return n.text;
  if (ts.isTemplateExpression(n)) return [n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join(" ");
  if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.PlusToken)
    return `${textOf(n.left)} ${textOf(n.right)}`;
  if (ts.isParenthesizedExpression(n)) return textOf(n.expression);
  return "";
}

/** Messages: the first argument of `new …Error(…)`, `fail(…)`, `log.warn/error(…)`, and issue `message`s. */
function messages(sf: ts.SourceFile): { at: string; text: string }[] {
  const out: { at: string; text: string }[] = [];
  const at = (n: ts.Node) =>
    `${path.relative(ROOT, sf.fileName)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (n: ts.Node): void => {
    if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && n.arguments?.length) {
      const callee = n.expression.getText(sf);
      if (/(Error|\bfail|\.warn|\.error)$/.test(callee)) out.push({ at: at(n), text: textOf(n.arguments[0]) });
    }
    if (ts.isPropertyAssignment(n) && n.name.getText(sf) === "message")
      out.push({ at: at(n), text: textOf(n.initializer) });
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out.filter((m) => m.text);
}

/**
 * A name as code, not a settings key that happens to share it: camelCase or PascalCase, not after a
 * `.` (a key path) and not before a `:` or `=` (a key and its value, or a function naming itself).
 */
const PATTERN = /(?<![.\w$])([a-z]+[A-Z][\w$]*|[A-Z][a-z]+[A-Z][\w$]*)(?![\w$]*\s*[:=])/g;

describe("error messages name only what the package exports", () => {
  const library = new Set(parsed.flatMap(exportedValues));
  const publicNames = new Set([
    ...Object.keys(jest.requireActual("../../components") as object),
    ...Object.keys(jest.requireActual("../../config") as object),
  ]);
  const all = parsed.flatMap(messages);

  it("finds the messages (the scan itself works)", () => {
    expect(all.length).toBeGreaterThan(80);
    expect(all.some((m) => m.text.includes("checkSuppliedMaterial"))).toBe(true);
    expect(library.has("checkSuppliedMaterial")).toBe(true);
  });

  it("the pattern bites", () => {
    const text = "check the PEMs with checkSuppliedMaterial first; cluster.addonIdentityObjectId; caCertificates: 2";
    expect([...text.matchAll(PATTERN)].map((w) => w[1])).toEqual(["checkSuppliedMaterial"]);
  });

  it("every library function, class or constant a message names is exported from an entry point", () => {
    const named = all.flatMap((m) =>
      [...m.text.matchAll(PATTERN)]
        .map((w) => w[1])
        .filter((w) => library.has(w) && !publicNames.has(w))
        .map((w) => `${m.at}: ${w}`),
    );
    expect(named).toEqual([]);
  });
});
