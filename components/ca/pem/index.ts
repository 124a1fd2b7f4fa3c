/**
 * PEM and X.509 for every backend, by concern: `bundle` (split and parse PEM bundles), `certificate`
 * (naming, signatures, CA extensions, key strength and key match of one certificate) and `supplied`
 * (the checks of CA material a team supplies). Pure: PEM strings in, facts or problems out.
 */
export * from "./bundle";
export * from "./certificate";
export * from "./supplied";
