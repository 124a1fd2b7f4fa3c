import * as path from "path";
import { skipSourceMapsForSdkCaptures } from "./sdkStackTraces";

/** test/harness/sdkStackTraces.ts: which stack captures skip the source maps. */

const site = (fn: string | null, file: string, line = 7): NodeJS.CallSite =>
  ({
    getFunctionName: () => fn,
    getFileName: () => file,
    toString: () => `${fn ?? "<anonymous>"} (${file}:${line}:3)`,
  }) as unknown as NodeJS.CallSite;

const SDK = "/repo/node_modules/@pulumi/pulumi/runtime/debuggable.js";

describe("skipSourceMapsForSdkCaptures", () => {
  const mapped = jest.fn(() => "mapped");
  const prepare = skipSourceMapsForSdkCaptures(mapped);
  beforeEach(() => mapped.mockClear());

  it("formats the SDK's promise and resource captures as V8 does, without the source maps", () => {
    for (const fn of ["debuggablePromise", "callsites"]) {
      const out = prepare(new Error("x"), [site(fn, SDK), site("user", "/repo/index.ts", 12)]);
      expect(out).toBe(`Error: x\n    at ${fn} (${SDK}:7:3)\n    at user (/repo/index.ts:12:3)`);
    }
    expect(mapped).not.toHaveBeenCalled();
  });

  it("maps everything else: our code, other SDK functions, a same-named function outside the SDK, no frames", () => {
    const cases = [
      [site("registerResource", SDK)],
      [site("debuggablePromise", "/repo/test/helpers.ts")],
      [site(null, "/repo/index.ts")],
      [],
    ];
    for (const frames of cases) expect(prepare(new Error("x"), frames)).toBe("mapped");
    expect(mapped).toHaveBeenCalledTimes(cases.length);
  });
});

it("is installed here and keeps a test's own errors source-mapped", () => {
  interface Spacer {
    a: string;
    b: string;
    c: string;
  } // a type only: no JavaScript, so the emitted lines below this one move up
  const here: Spacer | undefined = undefined;
  const stack = new Error(String(here)).stack!;
  const m = stack.match(new RegExp(`${path.basename(__filename).replace(/\./g, "\\.")}:(\\d+):\\d+`));
  expect(m?.[1]).toBe("47");
  expect(Error.prepareStackTrace?.(new Error("x"), [site("debuggablePromise", SDK)])).toBe(
    `Error: x\n    at debuggablePromise (${SDK}:7:3)`,
  );
});
