/**
 * The Pulumi SDK captures a whole stack trace for every resource (its source position,
 * `Resource.callsites`) and for every promise it makes (`debuggablePromise`, kept for its leak
 * report). Under jest each capture went through source-map-support, which looks up a source map
 * for every frame: a fifth of a program run under mocks (profiled: 13.5 → 10.5 s for one suite).
 * Those two captures get V8's own formatting; every other stack (a failing test, an error the
 * program throws) still goes to source-map-support.
 */

type Prepare = (error: Error, frames: NodeJS.CallSite[]) => unknown;

const SDK_FILE = /[\\/]@pulumi[\\/]pulumi[\\/]/;
const SDK_CAPTURES = new Set(["debuggablePromise", "callsites"]);

/** Wraps the installed `Error.prepareStackTrace` (`mapped`) so the SDK's own captures skip it. */
export function skipSourceMapsForSdkCaptures(mapped: Prepare): Prepare {
  return (error, frames) => {
    const top = frames[0];
    if (top && SDK_CAPTURES.has(top.getFunctionName() ?? "") && SDK_FILE.test(top.getFileName() ?? ""))
      return `${String(error)}${frames.map((f) => `\n    at ${String(f)}`).join("")}`;
    return mapped(error, frames);
  };
}
