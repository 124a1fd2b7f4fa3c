import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ReadMemo, contentKey } from "../../scripts/rotate/readMemo";

describe("ReadMemo: a stack read is reused only while its source files hold the same bytes", () => {
  let dir: string;
  let file: string;
  let reads: number;
  const read = () => Promise.resolve(++reads);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "read-memo-"));
    file = path.join(dir, "root.json");
    fs.writeFileSync(file, '{"phase":"dual"}');
    reads = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads once while the file is unchanged, per slot", async () => {
    const memo = new ReadMemo();
    expect(await memo.get("state:root", [file], read)).toBe(1);
    expect(await memo.get("state:root", [file], read)).toBe(1);
    expect(await memo.get("resources:root", [file], read)).toBe(2);
    expect(reads).toBe(2);
  });

  it("reads again after any rewrite, even one of the same size within the same clock tick (content, not mtime)", async () => {
    const memo = new ReadMemo();
    await memo.get("s", [file], read);
    const { mtime } = fs.statSync(file);
    fs.writeFileSync(file, '{"phase":"cut"}');
    expect(await memo.get("s", [file], read)).toBe(2);
    fs.writeFileSync(file, '{"phase":"fin"}');
    fs.utimesSync(file, mtime, mtime);
    expect(await memo.get("s", [file], read)).toBe(3);
    // Back to bytes seen before: the slot holds only the latest read, so it reads again.
    fs.writeFileSync(file, '{"phase":"cut"}');
    expect(await memo.get("s", [file], read)).toBe(4);
  });

  it("a file that appears or disappears among the sources changes the key", async () => {
    const memo = new ReadMemo();
    const gz = path.join(dir, "root.json.gz");
    await memo.get("s", [file, gz], read);
    fs.writeFileSync(gz, "");
    expect(await memo.get("s", [file, gz], read)).toBe(2);
    fs.rmSync(gz);
    expect(await memo.get("s", [file, gz], read)).toBe(3);
  });

  it("remembers nothing without sources: undefined (a non-file backend), or none of them existing", async () => {
    const memo = new ReadMemo();
    await memo.get("s", undefined, read);
    await memo.get("s", undefined, read);
    await memo.get("t", [path.join(dir, "absent.json")], read);
    await memo.get("t", [path.join(dir, "absent.json")], read);
    expect(reads).toBe(4);
    expect(contentKey([path.join(dir, "absent.json")])).toBeUndefined();
  });

  it("a failed read is not remembered; concurrent reads of one slot share one CLI call", async () => {
    const memo = new ReadMemo();
    await expect(memo.get("s", [file], () => Promise.reject(new Error("stack not found")))).rejects.toThrow(
      "stack not found",
    );
    const [a, b] = await Promise.all([memo.get("s", [file], read), memo.get("s", [file], read)]);
    expect([a, b, reads]).toEqual([1, 1, 1]);
  });

  it("a source it cannot read (not merely absent) is an error, not a silent miss", () => {
    fs.mkdirSync(path.join(dir, "sub.json"));
    expect(() => contentKey([path.join(dir, "sub.json")])).toThrow(/EISDIR/);
  });
});
