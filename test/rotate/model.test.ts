import * as fc from "fast-check";
import { checkTransition, LifecycleState } from "../../components/ca/lifecycle/phases";
import { Position, commandStages, progress, stageBetween } from "../../scripts/rotate/model";

const steady = (g = 1, i = 1): Position => ({ rootPhase: "steady", rootGeneration: g, intermediateGeneration: i });
const at = (rootPhase: Position["rootPhase"], g = 1, i = 1): Position => ({
  rootPhase,
  rootGeneration: g,
  intermediateGeneration: i,
});
const gens = fc.record({ g: fc.integer({ min: 1, max: 20 }), i: fc.integer({ min: 1, max: 20 }) });

describe("rotation stages", () => {
  it("start intermediate raises intermediateGeneration by one and changes cacerts only", () => {
    const [s] = commandStages("start", "intermediate", steady(1, 3));
    expect(s).toMatchObject({
      name: "intermediate",
      to: steady(1, 4),
      cacertsChange: true,
      istiodRollout: false,
      needsNewLeaves: false,
    });
  });

  it("start root is dual then cutover; complete root is finalize then steady at rootGeneration + 1", () => {
    expect(commandStages("start", "root", steady(2, 5)).map((s) => [s.name, s.to])).toEqual([
      ["dual", at("dual", 2, 5)],
      ["cutover", at("cutover", 2, 5)],
    ]);
    expect(commandStages("complete", "root", at("cutover", 2, 5)).map((s) => [s.name, s.to])).toEqual([
      ["finalize", at("finalize", 2, 5)],
      ["steady", steady(3, 5)],
    ]);
  });

  it("istiod rolls out exactly when its trust bundle or multi-root flag changes: dual and finalize", () => {
    const start = commandStages("start", "root", steady());
    const done = commandStages("complete", "root", start[1].to);
    expect([...start, ...done].map((s) => [s.name, s.istiodRollout, s.cacertsChange])).toEqual([
      ["dual", true, true],
      ["cutover", false, true],
      ["finalize", true, true],
      ["steady", false, false],
    ]);
    expect(done[0].needsNewLeaves).toBe(true);
  });

  it("every stage a command applies is a move the phase interlock accepts, and they chain", () => {
    fc.assert(
      fc.property(gens, ({ g, i }) => {
        const all = [
          ...commandStages("start", "intermediate", steady(g, i)),
          ...commandStages("start", "root", steady(g, i)),
        ];
        const complete = commandStages("complete", "root", all[all.length - 1].to);
        for (const s of [...all, ...complete])
          expect(checkTransition(s.from as LifecycleState, s.to as LifecycleState)).toBeUndefined();
        const root = [...all.slice(1), ...complete];
        root.slice(1).forEach((s, k) => expect(s.from).toEqual(root[k].to));
        expect(complete[complete.length - 1].to).toEqual(steady(g + 1, i));
      }),
    );
  });

  it("refuses commands that do not fit the position, saying what to run", () => {
    expect(() => commandStages("start", "intermediate", at("dual"))).toThrow(
      /root rotation is in progress.*rotate resume/,
    );
    expect(() => commandStages("complete", "intermediate", steady())).toThrow(/one step/);
    expect(() => commandStages("complete", "root", steady())).toThrow(/rotate start root/);
    expect(() => commandStages("complete", "root", at("dual"))).toThrow(/cutover has not been applied/);
    expect(() => commandStages("start", "root", at("cutover"))).toThrow(/rotate complete root/);
  });

  it("stageBetween refuses skips and rollbacks with the interlock's words", () => {
    expect(stageBetween(steady(), at("cutover"))).toMatch(/apply rootPhase "dual" first/);
    expect(stageBetween(at("cutover"), at("dual"))).toMatch(/rollback/);
  });
});

describe("progress: where an interrupted rotation stands", () => {
  it("followers one step behind are finished first; dual continues to cutover", () => {
    const p = progress({
      owner: { stack: "root", at: at("dual") },
      followers: [
        { stack: "a", at: at("dual") },
        { stack: "b", at: steady() },
      ],
    });
    expect(p.behind.map((b) => [b.stack, b.stage.name])).toEqual([["b", "dual"]]);
    expect(p.remaining.map((s) => s.name)).toEqual(["cutover"]);
    expect(p.next).toMatch(/b still to apply dual.*then cutover/);
  });

  it("at cutover everywhere nothing runs until `complete root`; finalize continues to steady", () => {
    expect(
      progress({ owner: { stack: "root", at: at("cutover") }, followers: [{ stack: "a", at: at("cutover") }] }),
    ).toMatchObject({ behind: [], remaining: [], next: expect.stringMatching(/rotate complete root/) });
    expect(
      progress({ owner: { stack: "root", at: at("finalize", 3) }, followers: [] }).remaining.map((s) => s.to),
    ).toEqual([steady(4)]);
  });

  it("a follower two steps behind, or never deployed, is stuck (named), never silently skipped", () => {
    const p = progress({
      owner: { stack: "root", at: at("cutover") },
      followers: [{ stack: "a", at: steady() }, { stack: "b" }],
    });
    expect(p.stuck.map((s) => s.stack)).toEqual(["a", "b"]);
    expect(p.next).toMatch(
      /cannot continue: a is at steady.*apply rootPhase "dual" first.*b has no caLifecycle output/,
    );
  });

  it("for any position reachable by the commands, a follower one stage behind is exactly that stage", () => {
    fc.assert(
      fc.property(gens, fc.integer({ min: 0, max: 4 }), ({ g, i }, k) => {
        const chain = [
          ...commandStages("start", "intermediate", steady(g, i)),
          ...commandStages("start", "root", steady(g, i + 1)),
        ];
        const full = [...chain, ...commandStages("complete", "root", chain[chain.length - 1].to)];
        const stage = full[k];
        const p = progress({ owner: { stack: "o", at: stage.to }, followers: [{ stack: "f", at: stage.from }] });
        expect(p.behind).toHaveLength(1);
        expect(p.behind[0].stage.name).toBe(stage.name);
        expect(p.stuck).toEqual([]);
      }),
    );
  });
});
