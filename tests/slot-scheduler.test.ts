import test from 'ava';
import { SlotScheduler, type HeldMessage } from '../worker/runtime/slot-scheduler.js';

/** The part of a JetStream message the scheduler uses: heartbeats and nak. */
function fakeMsg(): { msg: HeldMessage; naks: () => number } {
  let naks = 0;
  return { msg: { working: () => undefined, nak: () => void naks++ }, naks: () => naks };
}

test('fills idle slots first; prefetches one per slot only while shards are short and none is a redelivery', (t) => {
  const s = new SlotScheduler<HeldMessage>(2, 1_000);
  t.is(s.wanted(false), 2, 'two idle slots');
  t.true(s.admit({ msg: fakeMsg().msg, ackWaitMs: 30_000 }));
  t.true(s.admit({ msg: fakeMsg().msg, ackWaitMs: 30_000 }));
  t.is(s.busy, 2);
  t.is(s.wanted(false), 0, 'no shard duration known yet: no prefetch');
  t.is(s.release(50, true), undefined, 'nothing held');
  t.is(s.wanted(false), 1, 'the freed slot');
  t.true(s.admit({ msg: fakeMsg().msg, ackWaitMs: 30_000 }));
  t.is(s.wanted(false), 2, 'short shards: one held per slot');
  t.is(s.wanted(true), 0, 'a redelivered shard is running: hold nothing beside it');
  const long = new SlotScheduler<HeldMessage>(1, 1_000);
  long.admit({ msg: fakeMsg().msg, ackWaitMs: 30_000 });
  long.release(5_000, true);
  long.admit({ msg: fakeMsg().msg, ackWaitMs: 30_000 });
  t.is(long.wanted(false), 0, 'long shards: no prefetch');
});

test('a held shard takes the next freed slot while running; on drain it is given back', (t) => {
  const s = new SlotScheduler<HeldMessage>(1, 1_000);
  const first = fakeMsg();
  const held = fakeMsg();
  const other = fakeMsg();
  t.true(s.admit({ msg: first.msg, ackWaitMs: 30_000 }));
  t.false(s.admit({ msg: held.msg, ackWaitMs: 30_000 }), 'every slot busy: held');
  t.is(s.release(10, true)?.msg, held.msg, 'the held shard starts in the freed slot');
  t.is(s.busy, 1);
  t.false(s.admit({ msg: other.msg, ackWaitMs: 30_000 }));
  t.is(s.release(10, false), undefined, 'draining: a freed slot starts nothing');
  t.is(s.busy, 0);
  s.returnHeld();
  t.is(other.naks(), 1);
  t.is(held.naks(), 0);
});
