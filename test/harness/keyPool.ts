import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * RSA private keys for the unit tier's stand-ins (the tls emulator, the fake Vault). An RSA-4096
 * key takes ≈ 0.5 s to generate and the suites asked for about fifty, a tenth of the tier's time.
 * A test process takes the n-th key of a size from a pool on disk, generating (and storing) the
 * ones not there yet, so a suite's n-th key is the one the previous suite's n-th was: suites share
 * nothing else, and within one process every call gets a key no other call got.
 * The pool holds keys the tests made for themselves, nothing anyone trusts. `TEST_KEY_POOL=off`
 * generates every key afresh.
 */

const DIR = process.env.TEST_KEY_POOL_DIR ?? path.join(__dirname, "../../node_modules/.cache/istio-mesh-ca/test-keys");
const taken = new Map<number, number>();

function generate(bits: number): string {
  return crypto.generateKeyPairSync("rsa", {
    modulusLength: bits,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
}

/** A PKCS#1 PEM RSA private key of `bits` bits that this process has not been given before. */
export function rsaPrivateKey(bits: number): string {
  if (process.env.TEST_KEY_POOL === "off") return generate(bits);
  const n = taken.get(bits) ?? 0;
  taken.set(bits, n + 1);
  const file = path.join(DIR, `rsa-${bits}-${n}.pem`);
  try {
    const pem = fs.readFileSync(file, "utf8");
    // A torn or foreign file is replaced, never trusted.
    if (crypto.createPrivateKey(pem).asymmetricKeyDetails?.modulusLength === bits) return pem;
  } catch {
    /* not in the pool yet */
  }
  const pem = generate(bits);
  fs.mkdirSync(DIR, { recursive: true });
  // Another jest worker may write the same slot at the same time: each renames a whole file of its own.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, pem, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return pem;
}
