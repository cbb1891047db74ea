/** Raised when an external tool (kubectl, promtool, actionlint...) cannot run or rejects input. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    message: string,
    readonly tool: string,
    readonly output: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One broken rule in one object: which object, which rule, what was found. */
export interface Finding {
  /** `Kind/namespace/name` or a file path. */
  object: string;
  rule: string;
  message: string;
}

/** Formats findings one per line for assertion messages. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.object}: [${f.rule}] ${f.message}`).join('\n');
}
