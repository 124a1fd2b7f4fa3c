/**
 * jest setupFilesAfterEnv: runs after jest installed source-map-support in the test's context.
 */
import { skipSourceMapsForSdkCaptures } from "./sdkStackTraces";

if (Error.prepareStackTrace) Error.prepareStackTrace = skipSourceMapsForSdkCaptures(Error.prepareStackTrace);
