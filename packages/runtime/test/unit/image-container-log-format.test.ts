/** The container log's k8s-file records (podman's, conmon's) and podman's --since/--until times. */
import { strict as assert } from 'node:assert';
import { LogClock, formatLogRecords, parseLogRecords, parseLogTime, displayTime } from '../../src/image-container-log-format.js';

describe('container log format', () => {
  it('formatLogRecords, lines: F per complete line, P for the rest, one time per read', () => {
    const text = formatLogRecords(new LogClock(), 'stderr', Buffer.from('a\n\nb\npart')).toString();
    const lines = text.split('\n');
    assert.equal(lines.length, 5);
    const time = lines[0]!.split(' ')[0]!;
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.deepEqual(lines.slice(0, 4), [`${time} stderr F a`, `${time} stderr F `, `${time} stderr F b`, `${time} stderr P part`]);
  });

  it('LogClock, one millisecond: the times stay distinct and in order', () => {
    const clock = new LogClock();
    const times = Array.from({ length: 50 }, () => clock.now());
    assert.deepEqual([...times].sort(), times);
    assert.equal(new Set(times).size, times.length);
  });

  it('parseLogRecords, round trip: streams, partial records, a record still being written is left out', () => {
    const clock = new LogClock();
    const log = Buffer.concat([
      formatLogRecords(clock, 'stdout', Buffer.from('out1\n')), formatLogRecords(clock, 'stderr', Buffer.from('err1\n')),
      formatLogRecords(clock, 'stdout', Buffer.from('par')), Buffer.from('2026-12-05T21:37:00.985314241+00:00 stdout F tia'),
    ]);
    const records = parseLogRecords(log);
    assert.deepEqual(records.map((r) => [r.stream, r.full, r.text.toString()]), [['stdout', true, 'out1'], ['stderr', true, 'err1'], ['stdout', false, 'par']]);
  });

  it('parseLogRecords, a log of an older ct (raw output): complete stdout lines without a time', () => {
    const records = parseLogRecords(Buffer.from('one\ntwo words\nlast'));
    assert.deepEqual(records.map((r) => [r.time, r.stream, r.full, r.text.toString()]), [['', 'stdout', true, 'one'], ['', 'stdout', true, 'two words'], ['', 'stdout', false, 'last']]);
  });

  it('displayTime, conmon\'s offset form: podman\'s UTC form with nanoseconds', () => {
    const [r] = parseLogRecords(Buffer.from('2026-12-05T23:37:00.985314241+02:00 stdout F x\n'));
    assert.equal(r!.nanos, BigInt(Date.parse('2026-12-05T21:37:00Z')) * 1_000_000n + 985_314_241n);
    assert.equal(displayTime(r!), '2026-12-05T21:37:00.985314241Z');
  });

  it('parseLogTime, podman\'s forms: RFC 3339, local date(time), Unix seconds, Go durations', () => {
    const now = Date.parse('2026-12-05T12:00:00Z');
    const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;
    assert.equal(parseLogTime('since', '2026-12-05T10:00:00.5Z', now), ns(Date.parse('2026-12-05T10:00:00.5Z')));
    assert.equal(parseLogTime('since', '2026-12-05T10:00:00+01:00', now), ns(Date.parse('2026-12-05T09:00:00Z')));
    assert.equal(parseLogTime('since', '2026-12-05T10:00:00', now), ns(new Date(2026, 11, 5, 10).getTime()));
    assert.equal(parseLogTime('since', '2026-12-05', now), ns(new Date(2026, 11, 5).getTime()));
    assert.equal(parseLogTime('since', '2026-12-05Z', now), ns(Date.parse('2026-12-05T00:00:00Z')));
    assert.equal(parseLogTime('since', '1700000000.25', now), 1_700_000_000_250_000_000n);
    assert.equal(parseLogTime('since', '10m', now), ns(now - 600_000));
    assert.equal(parseLogTime('until', '1h30m', now), ns(now - 5_400_000));
    assert.equal(parseLogTime('since', '1.5s', now), ns(now - 1500));
  });

  it('parseLogTime, not a time: EUSAGE naming the flag and the value', () => {
    for (const bad of ['bogus', '10x', '2026-13-45T99:00:00Z', '']) {
      assert.throws(() => parseLogTime('until', bad), (err: Error & { code?: string }) => err.code === 'EUSAGE' && err.message.includes(`--until ${JSON.stringify(bad)}`), bad);
    }
  });
});
