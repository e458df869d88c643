using Microsoft.Extensions.Time.Testing;
using ReHome.Gateway.Quotas;

namespace ReHome.Tests.Gateway;

public sealed class KeyedTokenBucketsTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Each_key_has_its_burst_then_its_rate()
    {
        var buckets = new KeyedTokenBuckets(perSecond: 4, burst: 3, _time);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(buckets.TryTake("alice", out _));
        }

        Assert.False(buckets.TryTake("alice", out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(250), retryAfter);
        Assert.True(buckets.TryTake("bob", out _));

        _time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.True(buckets.TryTake("alice", out _));
        Assert.False(buckets.TryTake("alice", out _));
    }

    [Fact]
    public void Buckets_that_refilled_are_dropped_and_those_still_drawn_down_are_kept()
    {
        var buckets = new KeyedTokenBuckets(perSecond: 1, burst: 100, _time);
        for (var i = 0; i < 1_000; i++)
        {
            buckets.TryTake($"address-{i}", out _);
        }

        for (var i = 0; i < 100; i++)
        {
            buckets.TryTake("busy", out _);
        }

        Assert.Equal(1_001, buckets.Count);

        // The passing addresses have refilled (one token in 10 s); "busy" has 10 of its 100 back.
        _time.Advance(KeyedTokenBuckets.SweepPeriod);
        Assert.True(buckets.TryTake("busy", out _));

        Assert.Equal(1, buckets.Count);
        for (var i = 0; i < 9; i++)
        {
            Assert.True(buckets.TryTake("busy", out _));
        }

        Assert.False(buckets.TryTake("busy", out _));
    }
}
