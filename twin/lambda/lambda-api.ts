/**
 * Lambda's Invoke (RequestResponse), answered by the twin's sandbox in the REST shape: 200 with the result, or 200
 * with `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage, trace}` for a function error. The redrive
 * invokes the callbacker through it, as it does in AWS.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
import { LambdaFunctionError, type LambdaService } from './lambda-sandbox';

/** An HTTP answer. */
export interface LambdaAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** `POST /2015-03-31/functions/{FunctionName}/invocations`; FunctionName may be a name, an ARN or `name:$LATEST`. */
export async function answerInvoke(lambda: LambdaService, functionName: string, payload: string): Promise<LambdaAnswer> {
  const { functionArn, functionName: name } = lambda.spec;
  if (![functionArn, name, `${functionArn}:$LATEST`, `${name}:$LATEST`].includes(functionName)) {
    return {
      status: 404,
      headers: { 'x-amzn-ErrorType': 'ResourceNotFoundException' },
      body: JSON.stringify({ Type: 'User', message: `Function not found: ${functionName}` }),
    };
  }
  let event: unknown;
  try {
    event = payload === '' ? {} : (JSON.parse(payload) as unknown);
  } catch {
    return { status: 400, headers: { 'x-amzn-ErrorType': 'InvalidRequestContentException' }, body: JSON.stringify({ Type: 'User', message: 'Could not parse request body into json' }) };
  }
  try {
    const result = await lambda.invoke(event);
    return { status: 200, headers: { 'X-Amz-Executed-Version': '$LATEST' }, body: JSON.stringify(result ?? null) };
  } catch (error) {
    if (!(error instanceof LambdaFunctionError)) throw error;
    return { status: 200, headers: { 'X-Amz-Executed-Version': '$LATEST', 'X-Amz-Function-Error': 'Unhandled' }, body: JSON.stringify(error.payload()) };
  }
}
