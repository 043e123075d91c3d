// asl-validator ships JavaScript without type declarations; this is the part of its API the tests use.
declare module 'asl-validator' {
  interface AslValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly unknown[];
    readonly errorsText: (separator?: string) => string;
  }
  function aslValidator(definition: unknown, options?: { checkArn?: boolean; checkPaths?: boolean }): AslValidationResult;
  export = aslValidator;
}
