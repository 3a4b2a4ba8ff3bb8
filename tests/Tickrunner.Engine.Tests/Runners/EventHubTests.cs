using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using static Tickrunner.Engine.Tests.EngineTestKit;

namespace Tickrunner.Engine.Tests;

public class EventHubTests
{
    private static RunnerEvent Started(string id, string symbol = "X") => RunnerEvent.RunnerStarted(id, symbol, 1_700_000_000_000);

    private static async Task<List<EventMessage>> Read(EventSubscription s, int count)
    {
        var messages = new List<EventMessage>();
        using var timeout = new CancellationTokenSource(10_000);
        await foreach (var m in s.ReadAllAsync(timeout.Token))
        {
            messages.Add(m);
            if (messages.Count == count) break;
        }
        return messages;
    }

    [Fact]
    public async Task Every_subscriber_gets_every_event_with_shared_json_and_increasing_seq()
    {
        await using var hub = new EventHub();
        using var a = hub.Subscribe();
        using var b = hub.Subscribe();
        for (var i = 0; i < 100; i++) hub.Emit(Started($"r{i}"));
        var fromA = await Read(a, 100);
        var fromB = await Read(b, 100);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), fromA.Select(m => m.Frame!.Seq));
        for (var i = 0; i < 100; i++) Assert.Same(fromA[i].Json, fromB[i].Json); // serialized once
        Assert.Contains("\"seq\":1}", System.Text.Encoding.UTF8.GetString(fromA[0].Json));
    }

    [Fact]
    public async Task Events_emitted_together_are_published_in_order_among_single_ones_from_other_threads()
    {
        // Batches and single events from several threads at once: each batch keeps its order, nothing is lost, and events of
        // one batch are not split apart by another thread's only when the lock was free (so only the order is asserted).
        const int threads = 3, batches = 5_000, size = 4;
        await using var hub = new EventHub(new EventHubOptions { SubscriberQueueSize = threads * batches * size + 10 });
        using var all = hub.Subscribe();
        using var start = new Barrier(threads);
        var emitters = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var batch = new RunnerEvent[size];
            start.SignalAndWait();
            for (var i = 0; i < batches; i++)
            {
                for (var k = 0; k < size; k++) batch[k] = RunnerEvent.PositionUpdated($"t{t}", "X", i * size + k, 0, 0, 1_700_000_000_000);
                if (t == 0) foreach (var e in batch) hub.Emit(e); // one thread one by one, the others in batches
                else hub.Emit(batch.AsSpan());
            }
        })).ToList();
        emitters.ForEach(e => e.Start());
        emitters.ForEach(e => e.Join());
        hub.Emit(ReadOnlySpan<RunnerEvent>.Empty); // nothing, and no harm
        Assert.Equal(threads * batches * size, hub.LastSeq);
        Assert.Equal(0, hub.Backlog);
        var messages = await Read(all, threads * batches * size);
        Assert.Equal(Enumerable.Range(1, threads * batches * size).Select(i => (long)i), messages.Select(m => m.Frame!.Seq));
        foreach (var byEmitter in messages.GroupBy(m => m.Frame!.Event.RunnerId))
            Assert.Equal(Enumerable.Range(0, batches * size).Select(i => (double)i), byEmitter.Select(m => m.Frame!.Event.Price));
    }

    [Fact]
    public async Task Events_emitted_concurrently_from_many_threads_are_all_published_in_each_emitters_order()
    {
        // Emitters publish themselves under a lock they only try to take; an event emitted while another thread
        // holds it is left for that thread. Nothing may be left behind and no emitter's order may change.
        const int threads = 4, perThread = 50_000;
        await using var hub = new EventHub(new EventHubOptions { SubscriberQueueSize = threads * perThread });
        using var all = hub.Subscribe();
        using var start = new Barrier(threads);
        var emitters = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perThread; i++) hub.Emit(RunnerEvent.PositionUpdated($"t{t}", "X", i, 0, 0, 1_700_000_000_000));
        })).ToList();
        emitters.ForEach(e => e.Start());
        emitters.ForEach(e => e.Join());
        Assert.Equal(threads * perThread, hub.LastSeq); // published by the emitters themselves, no thread to wait for
        Assert.Equal(0, hub.Backlog);
        var messages = await Read(all, threads * perThread);
        Assert.Equal(Enumerable.Range(1, threads * perThread).Select(i => (long)i), messages.Select(m => m.Frame!.Seq));
        foreach (var byEmitter in messages.GroupBy(m => m.Frame!.Event.RunnerId))
            Assert.Equal(Enumerable.Range(0, perThread).Select(i => (double)i), byEmitter.Select(m => m.Frame!.Event.Price));
    }

    [Fact]
    public async Task Filters_select_by_runner_symbol_and_kind_and_can_change()
    {
        await using var hub = new EventHub();
        using var byRunner = hub.Subscribe(new EventFilter(["a"], [], []));
        using var bySymbol = hub.Subscribe(new EventFilter([], ["ETH"], []));
        using var byKind = hub.Subscribe(new EventFilter([], [], [RunnerEventKind.RunnerStopped]));
        hub.Emit(Started("a", "BTC"));
        hub.Emit(Started("b", "ETH"));
        hub.Emit(RunnerEvent.RunnerStopped("c", "BTC", "x", 1_700_000_000_000));
        Assert.Equal("a", (await Read(byRunner, 1))[0].Frame!.Event.RunnerId);
        Assert.Equal("b", (await Read(bySymbol, 1))[0].Frame!.Event.RunnerId);
        Assert.Equal("c", (await Read(byKind, 1))[0].Frame!.Event.RunnerId);

        byRunner.Filter = byRunner.Filter.Widen(["z"], [], []).Narrow(["a"], [], []);
        hub.Emit(Started("a"));
        hub.Emit(Started("z"));
        Assert.Equal("z", (await Read(byRunner, 1))[0].Frame!.Event.RunnerId);
    }

    [Fact]
    public async Task Each_subscriber_gets_exactly_the_events_its_filter_matches_once_each_in_order_whatever_its_filter_and_after_changes()
    {
        // The hub looks only at the subscribers an event can concern (by runner id, by symbol, the rest); the result must be
        // what checking every filter against every event gives.
        await using var hub = new EventHub(new EventHubOptions { SubscriberQueueSize = 10_000 });
        EventFilter[] filters =
        [
            EventFilter.All,
            new(["r1"], [], []),
            new(["r1", "r2"], [], []),
            new(["r2"], ["B"], []),
            new([], ["A"], []),
            new([], ["A", "B"], [RunnerEventKind.TickReceived]),
            new([], [], [RunnerEventKind.RunnerStopped, RunnerEventKind.EngineHalted]),
            new(["r3"], [], [RunnerEventKind.TickReceived]),
            new(["bt-1"], [], []),
        ];
        var subscribers = filters.Select(f => hub.Subscribe(f)).ToArray();
        RunnerEvent[] Events(int round) =>
        [
            RunnerEvent.TickReceived("r1", Bar("A", round, 100), 0, round),
            RunnerEvent.TickReceived("r2", Bar("B", round, 100), 0, round),
            RunnerEvent.TickReceived("r3", Bar("A", round, 100), 0, round),
            RunnerEvent.RunnerStopped("r2", "B", "x", round),
            RunnerEvent.PositionUpdated("r4", "C", 1, 0, 0, round),
            RunnerEvent.EngineHalted(false, round),
            RunnerEvent.BacktestProgress("bt-1", 0.5, 10, 100, round),
            RunnerEvent.EngineResumed(round),
        ];
        var expected = subscribers.Select(_ => new List<long>()).ToArray();
        void EmitRound(int round)
        {
            foreach (var e in Events(round))
            {
                hub.Emit(e);
                for (var i = 0; i < subscribers.Length; i++)
                    if (subscribers[i].Filter.Matches(e)) expected[i].Add(hub.LastSeq);
            }
        }
        void AssertReceived()
        {
            for (var i = 0; i < subscribers.Length; i++)
            {
                var received = new List<long>();
                while (subscribers[i].TryRead(out var m)) received.Add(m.Frame!.Seq);
                Assert.Equal(expected[i], received);
                Assert.NotEmpty(received);
                expected[i].Clear();
            }
        }
        EmitRound(1);
        AssertReceived(); // read before the changes: a new filter applies to what is still queued too
        // Every kind of change: runner → symbol, symbol → everything, everything → runner, kinds only → runner and symbol.
        subscribers[1].Filter = new EventFilter([], ["B"], []);
        subscribers[4].Filter = EventFilter.All;
        subscribers[0].Filter = new EventFilter(["r4"], [], []);
        subscribers[6].Filter = new EventFilter(["r3"], ["A"], []);
        EmitRound(2);
        AssertReceived();
        foreach (var subscriber in subscribers) subscriber.Dispose();
    }

    [Fact]
    public async Task A_changed_filter_applies_to_events_already_queued()
    {
        await using var hub = new EventHub();
        using var s = hub.Subscribe();
        hub.Emit(Started("a"));
        hub.Emit(Started("b"));
        await Wait.Until(() => s.Pending == 2);
        s.Filter = new EventFilter(["b"], [], []);
        Assert.True(s.TryRead(out var m));
        Assert.Equal("b", m.Frame!.Event.RunnerId);
        Assert.False(s.TryRead(out _));
    }

    [Fact]
    public async Task Since_replays_held_events_then_continues_live_without_gaps()
    {
        await using var hub = new EventHub(new EventHubOptions { HistorySize = 50 });
        using var probe = hub.Subscribe();
        for (var i = 0; i < 80; i++) hub.Emit(Started($"r{i}"));
        await Read(probe, 80);
        using var late = hub.Subscribe(sinceSeq: 70);
        hub.Emit(Started("live"));
        var messages = await Read(late, 11);
        Assert.Equal(Enumerable.Range(71, 11).Select(i => (long)i), messages.Select(m => m.Frame!.Seq));
        Assert.Equal(Enumerable.Range(32, 50).Select(i => (long)i), hub.Recent(0).Select(f => f.Seq)); // only 50 held
        Assert.Equal(["r75"], hub.Recent(75, limit: 1).Select(f => f.Event.RunnerId));
    }

    [Fact]
    public async Task Since_further_back_than_the_history_is_told_as_a_lag()
    {
        await using var hub = new EventHub(new EventHubOptions { HistorySize = 10 });
        for (var i = 0; i < 30; i++) hub.Emit(Started($"r{i}"));
        await Wait.Until(() => hub.LastSeq == 30);
        using var late = hub.Subscribe(sinceSeq: 5);
        var messages = await Read(late, 11);
        Assert.True(messages[0].IsLagNotice);
        Assert.Equal(15, messages[0].Dropped); // seqs 6..20 are gone; 21..30 are replayed
        Assert.Equal(21, messages[1].Frame!.Seq);
    }

    [Fact]
    public async Task A_subscriber_that_falls_behind_loses_its_oldest_events_and_is_told()
    {
        await using var hub = new EventHub();
        using var slow = hub.Subscribe(queueSize: 10);
        using var fast = hub.Subscribe();
        for (var i = 0; i < 25; i++) hub.Emit(Started($"r{i}"));
        await Read(fast, 25);
        await Wait.Until(() => slow.Dropped == 15);
        var messages = await Read(slow, 11);
        Assert.True(messages[0].IsLagNotice);
        Assert.Equal(15, messages[0].Dropped);
        Assert.Contains("\"dropped\":15", System.Text.Encoding.UTF8.GetString(messages[0].Json));
        Assert.Equal(Enumerable.Range(16, 10).Select(i => (long)i), messages.Skip(1).Select(m => m.Frame!.Seq));
    }

    [Fact]
    public async Task Disposing_the_hub_ends_subscriptions_after_delivering_what_was_emitted()
    {
        var hub = new EventHub();
        var s = hub.Subscribe();
        hub.Emit(Started("a"));
        await hub.DisposeAsync();
        var all = new List<EventMessage>();
        await foreach (var m in s.ReadAllAsync()) all.Add(m);
        Assert.Single(all);
        Assert.Equal(1, hub.LastSeq);
    }

    [Fact]
    public async Task Unsubscribed_readers_stop_receiving()
    {
        await using var hub = new EventHub();
        var s = hub.Subscribe();
        Assert.Equal(1, hub.SubscriberCount);
        s.Dispose();
        Assert.Equal(0, hub.SubscriberCount);
        hub.Emit(Started("a"));
        await Wait.Until(() => hub.LastSeq == 1);
        Assert.False(s.TryRead(out _));
    }
}
