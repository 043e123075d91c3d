/** The twin clock: discrete-event time that stands still while real work is in flight, and can be stepped by hand. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RealTimeClock, VirtualClock } from '../../../twin/clock/twin-clock';
import { trackedHttp } from '../../../twin/lambda/tracked-io';

/** Resolves after `ms` of real time: work that takes real time, which twin time must not see. */
const realWork = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Class: VirtualClock', () => {
  it('fires timers in order of due time, then creation, jumping time to each', async () => {
    // GIVEN
    const clock = new VirtualClock({ start: 0 });
    const fired: string[] = [];

    // WHEN
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 2000);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 1000);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 2000);
    await clock.sleep(5000);

    // THEN
    expect(fired).toEqual(['a@1000', 'b@2000', 'c@2000']);
    expect(clock.now()).toBe(5000);
  });

  it('stands still while real work is in flight, whatever it costs in real time', async () => {
    // GIVEN a timer 1 ms away and work that takes 100 ms of real time
    const clock = new VirtualClock({ start: 0 });
    const events: string[] = [];
    clock.setTimeout(() => events.push(`timer@${clock.now()}`), 1);

    // WHEN
    await clock.track('slow work', async () => {
      await realWork(100);
      events.push(`work done@${clock.now()}`);
    });
    await clock.sleep(10);

    // THEN the timer fired only after the work ended, at its own twin time
    expect(events).toEqual(['work done@0', 'timer@1']);
  });

  it('lets the continuation of ended work register its next work before time moves', async () => {
    // GIVEN work whose continuation, a few promise steps later, starts more work
    const clock = new VirtualClock({ start: 0 });
    const events: string[] = [];
    clock.setTimeout(() => events.push(`timer@${clock.now()}`), 1);

    // WHEN
    await clock
      .track('first', realWork(20))
      .then(() => Promise.resolve())
      .then(() => clock.track('second', realWork(20)))
      .then(() => events.push(`second done@${clock.now()}`));
    await clock.sleep(10);

    // THEN
    expect(events).toEqual(['second done@0', 'timer@1']);
  });

  it('moves only when told to with autoAdvance off, firing what falls due on the way', async () => {
    // GIVEN
    const clock = new VirtualClock({ start: 0, autoAdvance: false });
    const fired: number[] = [];
    for (const at of [500, 1500, 2500]) clock.setTimeout(() => fired.push(clock.now()), at);

    // WHEN
    await realWork(20);
    const before = [...fired];
    await clock.advanceBy(2000);

    // THEN
    expect(before).toEqual([]);
    expect(fired).toEqual([500, 1500]);
    expect(clock.now()).toBe(2000);
    expect(await clock.next()).toBe(true);
    expect(fired).toEqual([500, 1500, 2500]);
    expect(await clock.next()).toBe(false);
  });

  it('gives code a Date on twin time', () => {
    // GIVEN
    const clock = new VirtualClock({ start: Date.UTC(2031, 4, 6, 7, 8, 9) });

    // THEN
    expect(new clock.Date().toISOString()).toBe('2031-05-06T07:08:09.000Z');
    expect(clock.Date.now()).toBe(Date.UTC(2031, 4, 6, 7, 8, 9));
    expect(new clock.Date(0).getTime()).toBe(0);
    expect(clock.Date.parse('2000-01-01T00:00:00Z')).toBe(946684800000);
    expect(new clock.Date()).toBeInstanceOf(Date);
  });

  it('parks an HTTP exchange a server answers after a twin delay, so the sender can time out first, every time', async () => {
    // GIVEN a server that answers after 5 s of twin time, and a sender that gives up after 2 s of twin time
    const clock = new VirtualClock({ start: 0 });
    let serverSawClose = -1;
    const server = http.createServer((req, res) => {
      const parked = clock.parkConnection(req.socket.remotePort ?? -1);
      res.on('close', () => {
        serverSawClose = clock.now();
        parked?.release();
      });
      clock.setTimeout(() => res.end('late'), 5000);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = trackedHttp(http, clock, 'test');

    try {
      // WHEN
      const outcome = await new Promise<string>((resolve) => {
        const request = client.request({ host: '127.0.0.1', port, method: 'POST', agent: false }, (res) => resolve(`answered ${res.statusCode}`));
        request.on('error', () => resolve(`gave up at ${clock.now()}`));
        clock.setTimeout(() => request.destroy(), 2000);
        request.end();
      });
      await clock.sleep(10_000);

      // THEN
      expect(outcome).toBe('gave up at 2000');
      expect(serverSawClose).toBe(2000);
      expect(clock.inFlight()).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('Class: RealTimeClock', () => {
  it('follows the wall clock and Node timers', async () => {
    // GIVEN
    const clock = new RealTimeClock();
    const before = Date.now();

    // WHEN
    await clock.sleep(20);

    // THEN
    expect(clock.now()).toBeGreaterThanOrEqual(before + 15);
    expect(clock.Date).toBe(Date);
  });
});
