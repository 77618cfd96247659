/**
 * Compiled SQL kept per query shape (issue 9): building and compiling a Kysely query costs more
 * server CPU than anything else a worklist request does in Node.js apart from the socket. A list
 * query's SQL text depends only on which filters are present (its shape), not on their values, so
 * it is built and compiled once per shape with named placeholders, and each request puts its own
 * values in their places.
 *
 * Rules for a builder used with this: every value that varies between requests of one shape goes
 * through `p(name, value)`; anything decided by a value (whether a condition is added at all) is
 * part of the shape key. Constants may stay literal. test/http/query-shapes.test.ts checks that
 * the worklist gives what the uncached query gives, over many shapes and values.
 */
import type { CompiledQuery, Compilable } from 'kysely';
import type { Db } from '../db/database.js';

class Slot {
  constructor(readonly name: string) {}
}

export type Put = <T>(name: string, value: T) => T;

interface Entry {
  compiled: CompiledQuery;
  /** For each parameter: the slot's name, or a constant. */
  parameters: readonly (Slot | unknown)[];
}

export class QueryShapes {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly max = 500) {}

  /**
   * Run the query of this shape with these values. `build(p)` makes it; with `p` it is made once
   * per shape with placeholders. Without a cache (max 0) it is built each time with the values.
   */
  async execute<R>(db: Db, shape: string, values: Record<string, unknown>, build: (p: Put) => Compilable<R>): Promise<R[]> {
    if (this.max <= 0) return (await db.executeQuery(build((_name, value) => value).compile())).rows;
    let e = this.entries.get(shape);
    if (!e) {
      const compiled = build(((name: string) => new Slot(name)) as Put).compile();
      for (const v of compiled.parameters) if (v instanceof Slot && !Object.hasOwn(values, v.name)) throw new Error(`query shape ${shape}: no value for ${v.name}`);
      e = { compiled, parameters: compiled.parameters };
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(shape, e);
    }
    const parameters = e.parameters.map((v) => (v instanceof Slot ? values[v.name] : v));
    return (await db.executeQuery<R>({ ...e.compiled, parameters })).rows;
  }

  get size() {
    return this.entries.size;
  }
}
