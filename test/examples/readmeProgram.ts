import * as fs from "fs";
import * as path from "path";

/**
 * The README's composition program, kept in ONE place: `examples/ownStack.ts` is the source; the
 * README shows it verbatim in a ```ts block right after the BEGIN marker line, closed by the END
 * marker. After editing the example: `npm run readme:example` copies it into the README.
 * test/examples/ownStack.test.ts runs it under mocks; test/e2e/package.test.ts runs the README's
 * copy for real, from the packed package, in a project outside this repository.
 */
export const EXAMPLE_FILE = "examples/ownStack.ts";
const BEGIN = "<!-- composition program: examples/ownStack.ts";
const END = "<!-- end of composition program -->";

function locate(readme: string): { start: number; end: number; program: string } {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END, begin);
  if (begin < 0 || end < 0) throw new Error(`README.md: no composition program between "${BEGIN}" and "${END}"`);
  const m = /^[^\n]*-->\n```ts\n([\s\S]*)```\n$/.exec(readme.slice(begin, end));
  if (!m) throw new Error("README.md: the composition program must be one ```ts block, directly after the marker line");
  const start = begin + readme.slice(begin).indexOf("```ts\n") + "```ts\n".length;
  return { start, end: start + m[1].length, program: m[1] };
}

/** The program as the README shows it; throws when the markers or the ```ts fence are missing. */
export function readmeProgram(root: string): string {
  return locate(fs.readFileSync(path.join(root, "README.md"), "utf8")).program;
}

export function exampleProgram(root: string): string {
  return fs.readFileSync(path.join(root, EXAMPLE_FILE), "utf8");
}

// `npm run readme:example`: writes examples/ownStack.ts into the README's block.
if (require.main === module) {
  const root = path.resolve(__dirname, "../..");
  const file = path.join(root, "README.md");
  const readme = fs.readFileSync(file, "utf8");
  const { start, end } = locate(readme);
  fs.writeFileSync(file, readme.slice(0, start) + exampleProgram(root) + readme.slice(end));
  console.log(`README.md: composition program = ${EXAMPLE_FILE}`);
}
