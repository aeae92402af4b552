// A panic inside the addon must surface as a JS Error (code 'Panic') and leave the process usable.
import { native } from '../../lib/native/binding';
import { expectCode, hex, isError } from './helpers';

const b = native();

test('__panicForTest throws Error code Panic', () => {
  const err = expectCode(() => b.__panicForTest(), 'Panic');
  expect(isError(err)).toBe(true);
  expect(err.message).toMatch(/panic/i);
});

test('the addon keeps working after repeated panics', () => {
  for (let i = 0; i < 100; i++) expectCode(() => b.__panicForTest(), 'Panic');
  const packet = b.encodePacket(
    { marker: 'single', handle: 1, sequence: 2, frameNumber: 3, timestamp: 4, e2ee: null, userTimestamp: null },
    hex('aabb'),
  );
  expect(b.decodePacket(packet).payload.toString('hex')).toBe('aabb');
  const d = new b.Depacketizer();
  expect(d.push(packet).frames).toHaveLength(1);
});
