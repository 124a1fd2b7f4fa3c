import * as pulumi from "@pulumi/pulumi";
import { PROJECT, isConfigSecret } from "../../config/load";

/**
 * config/load.ts isConfigSecret: whether a key of this project was set with `--secret`, read from the
 * SDK's bookkeeping (what `setAllConfig`'s secret keys and the language host's PULUMI_CONFIG_SECRET_KEYS
 * fill). The plaintext-secret guards of loadProgramConfig ask it about every key.
 */
describe("isConfigSecret", () => {
  beforeAll(() => {
    pulumi.runtime.setAllConfig(
      {
        [`${PROJECT}:sealed`]: "s",
        [`${PROJECT}:plain`]: "p",
        [`${PROJECT}:shared`]: "p",
        "other-project:shared": "o",
      },
      [`${PROJECT}:sealed`, "other-project:shared"],
    );
  });
  afterAll(() => pulumi.runtime.setAllConfig({}, []));

  it("is true for a key of this project set as a secret", () => {
    expect(isConfigSecret("sealed")).toBe(true);
  });

  it("is false for a key set in plain config, and for one not set at all", () => {
    expect(isConfigSecret("plain")).toBe(false);
    expect(isConfigSecret("unset")).toBe(false);
  });

  it("asks about this project's key: another project's secret of the same name does not count", () => {
    expect(isConfigSecret("shared")).toBe(false);
  });

  it("throws, rather than answering false, when the SDK no longer provides it", () => {
    jest.isolateModules(() => {
      jest.doMock("@pulumi/pulumi/runtime/config", () => ({}));
      const load = require("../../config/load") as typeof import("../../config/load");
      expect(() => load.isConfigSecret("sealed")).toThrow(/no longer provides runtime\/config isConfigSecret/);
    });
    jest.dontMock("@pulumi/pulumi/runtime/config");
  });
});
