/**
 * Jest global set-up: one moto server (SQS) for every suite of the run, bound to 127.0.0.1. When the environment
 * already names one (MOTO_ENDPOINT, as `.ci/run` does), it is used and left alone; otherwise one is started here and
 * stopped by moto-global-teardown.ts. Workers inherit MOTO_ENDPOINT from this process.
 */
import { MOTO_ENDPOINT_VARIABLE, type MotoServer, motoServer } from '../../twin/sqs/moto-server';

declare global {
  // Shared with the global teardown, which runs in this same context.
  var motoForTests: MotoServer | undefined;
}

export default async function setup(): Promise<void> {
  const moto = await motoServer();
  globalThis.motoForTests = moto;
  process.env[MOTO_ENDPOINT_VARIABLE] = moto.endpoint;
}
