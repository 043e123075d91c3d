/** Jest global teardown: stops the moto server moto-global-setup.ts started (a shared one is left running). */
export default async function teardown(): Promise<void> {
  await globalThis.motoForTests?.close();
}
