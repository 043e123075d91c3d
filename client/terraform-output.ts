/**
 * The API URL from a Terraform working directory: `terraform output -json` there, then the `api_invoke_url` output
 * (the module's; a root module that re-exports it under another name is read with that name).
 * https://developer.hashicorp.com/terraform/cli/commands/output
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';

/** The module's output that holds the API URL. */
export const DEFAULT_TERRAFORM_OUTPUT = 'api_invoke_url';

/** The directory's outputs could not be read, or hold no usable API URL. */
export class TerraformOutputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerraformOutputError';
  }
}

/**
 * Picks an output's string value from what `terraform output -json` printed: `{ "<name>": { "value": ..., "type": ...,
 * "sensitive": ... } }`. Pure.
 *
 * @throws TerraformOutputError when the text is not that JSON, the output is missing (the message lists the ones
 * there are), or its value is not a non-empty string.
 */
export function outputValue(json: string, name: string, where: string): string {
  let outputs: unknown;
  try {
    outputs = JSON.parse(json);
  } catch {
    throw new TerraformOutputError(`terraform output -json in ${where} printed something that is not JSON`);
  }
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) throw new TerraformOutputError(`terraform output -json in ${where} printed no object of outputs`);
  const names = Object.keys(outputs);
  const output = (outputs as Record<string, { value?: unknown } | undefined>)[name];
  if (output === undefined) {
    const there = names.length === 0 ? 'it has no outputs (not applied yet?)' : `it has ${names.map((n) => JSON.stringify(n)).join(', ')}`;
    throw new TerraformOutputError(`${where} has no Terraform output ${JSON.stringify(name)}: ${there}; name the one that holds the module's api_invoke_url with --terraform-output-name`);
  }
  if (typeof output.value !== 'string' || output.value === '') throw new TerraformOutputError(`Terraform output ${JSON.stringify(name)} in ${where} is not a non-empty string`);
  return output.value;
}

/**
 * Runs `terraform output -json` in `directory` and returns the output's value.
 *
 * @throws TerraformOutputError when terraform cannot be run, fails, or has no such output.
 */
export function readTerraformOutput(directory: string, name: string = DEFAULT_TERRAFORM_OUTPUT, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  // Node reports a missing working directory as a missing executable; say which it is.
  if (!fs.statSync(directory, { throwIfNoEntry: false })?.isDirectory()) return Promise.reject(new TerraformOutputError(`${directory} is not a directory`));
  return new Promise((resolve, reject) => {
    execFile(
      'terraform',
      ['output', '-json'],
      { cwd: directory, env: { ...env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) {
          const code = (error as NodeJS.ErrnoException).code;
          const why =
            code === 'ENOENT'
              ? 'terraform is not on PATH'
              : (stderr.trim().split('\n').find((line) => /Error/.test(line))?.trim() ?? error.message);
          reject(new TerraformOutputError(`terraform output -json failed in ${directory}: ${why}`, { cause: error }));
          return;
        }
        try {
          resolve(outputValue(stdout, name, directory));
        } catch (problem) {
          reject(problem);
        }
      },
    );
  });
}
