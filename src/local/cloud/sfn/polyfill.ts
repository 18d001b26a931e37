// aws-local-stepfunctions calls Promise.withResolvers (Node 22); Node 20 lacks it, and every Task fails
// without this. Imported before the library is loaded.
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new this<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
