/** The in-process Lambda runtime as the stand-ins see it. */
export interface LambdaInvoker {
  /**
   * Resolve any way a template or ASL names a function (`launchTest`, `LaunchTestLambdaFunction`,
   * `{"Fn::GetAtt": ["LaunchTestLambdaFunction", "Arn"]}`, `{"Ref": ...}`, a function ARN or
   * `mgn-flow-dev-launchTest`) to its function key, or undefined.
   */
  resolve(ref: unknown): string | undefined;
  /** Invoke the handler in-process with `event` exactly as Lambda would pass it; resolves with its result. */
  invoke(functionKey: string, event: unknown): Promise<unknown>;
}
